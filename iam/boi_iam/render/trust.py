"""Trust policies in words: who may assume a role, how, and under which conditions; the role's kind."""

from __future__ import annotations

import json
import re
from typing import Any

from boi_iam.extract import ExtractedPolicy, RoleView
from boi_iam.render.common import NOT_RECORDED, _as_list, _code, _Names, _statements


def _principal_words(principal: Any, names: _Names, stack: str, original: Any) -> list[str]:
    if principal == "*":
        return ['**anyone** (`Principal: "*"`)']
    words = []
    orig = original if isinstance(original, dict) else {}
    for ptype, values in sorted((principal or {}).items()):
        originals = _as_list(orig.get(ptype)) or _as_list(values)
        for value, raw in zip(_as_list(values), originals, strict=False):
            shown = names.text(stack, raw) if isinstance(raw, str) else str(value)
            if ptype == "Service":
                words.append(f"the AWS service {_code(value)}")
            elif ptype == "Federated":
                words.append(f"identities federated through {_code(shown)}")
            elif ptype == "AWS":
                m = re.fullmatch(r"arn:[^:]+:iam::(\d{12}):root|(\d{12})", str(value))
                if m:
                    acct = m.group(1) or m.group(2)
                    words.append(
                        f"any IAM principal of account {_code(acct)} whose own policies allow it to assume this role"
                    )
                elif value == "*":
                    words.append('**any AWS principal** (`AWS: "*"`)')
                else:
                    words.append(f"the principal {_code(shown)}")
            else:
                words.append(f"{ptype} principal {_code(shown)}")
    return words


def _condition_words(condition: dict, readable) -> list[str]:
    words = []
    for operator, block in sorted((condition or {}).items()):
        for key, values in sorted((block or {}).items()):
            vals = [readable(v) if isinstance(v, str) else v for v in _as_list(values)]
            shown = ", ".join(_code(v) for v in vals)
            lkey = key.lower()
            if lkey == "aws:multifactorauthpresent" and operator.startswith("Bool") and vals == ["true"]:
                words.append("only when signed in with **MFA** (`aws:MultiFactorAuthPresent` is true)")
            elif lkey == "aws:multifactorauthage" and operator in (
                "NumericLessThan",
                "NumericLessThanEquals",
            ):
                words.append(f"only when MFA was used less than {shown} seconds ago (`aws:MultiFactorAuthAge`)")
            elif lkey == "aws:sourceaccount":
                words.append(f"only on behalf of resources in account {shown} (`aws:SourceAccount` {operator})")
            elif lkey == "aws:sourcearn":
                words.append(f"only on behalf of {shown} (`aws:SourceArn` {operator})")
            elif lkey.endswith(":sub"):
                words.append(f"only when the token subject (`sub`) {operator} {shown} ({_code(key)})")
            elif lkey.endswith(":aud"):
                words.append(f"only when the token audience (`aud`) {operator} {shown} ({_code(key)})")
            elif lkey == "sts:externalid":
                words.append(f"only with external id {shown}")
            else:
                words.append(f"only when {_code(key)} {operator} {shown}")
    return words


def trust_in_words(trust: ExtractedPolicy | None, names: _Names) -> list[str]:
    """One bullet per trust statement: who may assume the role, how, and under which conditions."""
    if trust is None:
        return [f"- no trust policy could be read ({NOT_RECORDED})"]
    stack = trust.owner.stack
    out = []
    originals = _statements(trust.original)
    for i, st in enumerate(_statements(trust.document)):
        orig = originals[i] if i < len(originals) else st
        who = _principal_words(st.get("Principal"), names, stack, orig.get("Principal"))
        if "NotPrincipal" in st:
            who = [f"every principal except {_code(json.dumps(st['NotPrincipal'], sort_keys=True))}"]
        actions = ", ".join(_code(a) for a in _as_list(st.get("Action") or st.get("NotAction")))
        verb = "may assume it" if st.get("Effect") == "Allow" else "is **denied**"
        line = f"- {' or '.join(who) or 'nobody named'} {verb} ({actions})"
        conditions = _condition_words(orig.get("Condition") or {}, lambda v: names.text(stack, v))
        out.append(line + ("" if not conditions else ", " + "; ".join(conditions)))
    return out or ["- the trust policy has no statements: nobody may assume this role"]


def role_kind(view: RoleView, boundary_name: str | None) -> str:
    principals = [s.get("Principal") for s in _statements(view.trust.document)] if view.trust else []
    types = {k for p in principals if isinstance(p, dict) for k in p}
    if "Federated" in types:
        return "CI"
    if "AWS" in types or "*" in principals:
        return "human"
    if "Service" in types:
        return "workload" if boundary_name and "workload" in boundary_name else "operational"
    return "unknown"

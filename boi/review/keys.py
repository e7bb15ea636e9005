"""KMS keys: added, removed, rotation, key spec, deletion window; which changes weaken a key."""

from __future__ import annotations

from collections.abc import Mapping

from boi_kms.synth_reading import keys_from_synth

from boi.review.model import KeyChange


def _key_rows(synth: Mapping[str, dict]) -> dict[str, dict]:
    rows = {}
    for k in keys_from_synth(dict(synth)):
        body = synth[k.stack]["resource"]["aws_kms_key"][k.logical_id]
        rows[k.alias or f"{k.stack}:{k.address}"] = {
            "stack": k.stack,
            "rotation": f"every {k.rotation_days} days" if k.rotation_enabled else "off",
            "rotation_days": k.rotation_days if k.rotation_enabled else None,
            "key spec": body.get("customer_master_key_spec", "SYMMETRIC_DEFAULT"),
            "key usage": body.get("key_usage", "ENCRYPT_DECRYPT"),
            "deletion window": body.get("deletion_window_in_days", 30),
            "multi-region": bool(body.get("multi_region", False)),
            "prevent_destroy": bool((body.get("lifecycle") or {}).get("prevent_destroy", False)),
            "data class": k.class_name,
        }
    return rows


def diff_keys(before: Mapping[str, dict], after: Mapping[str, dict]) -> list[KeyChange]:
    b, a = _key_rows(before), _key_rows(after)
    out = []
    for name in sorted(set(b) | set(a)):
        if name not in a:
            out.append(KeyChange(name, b[name]["stack"], "removed", [f"rotation was {b[name]['rotation']}"]))
            continue
        if name not in b:
            row = a[name]
            weak = ["rotation off"] if row["rotation_days"] is None else []
            out.append(KeyChange(name, row["stack"], "added", [f"rotation {row['rotation']}"], weak))
            continue
        changes, weak = [], []
        for attr in a[name]:
            if attr in ("stack", "rotation_days") or a[name][attr] == b[name][attr]:
                continue
            changes.append(f"{attr}: {b[name][attr]} → {a[name][attr]}")
        bd, ad = b[name]["rotation_days"], a[name]["rotation_days"]
        if bd is not None and ad is None:
            weak.append("rotation turned off")
        elif bd is not None and ad is not None and ad > bd:
            weak.append(f"rotation period lengthened from {bd} to {ad} days")
        if b[name]["prevent_destroy"] and not a[name]["prevent_destroy"]:
            weak.append("prevent_destroy removed")
        if a[name]["deletion window"] < b[name]["deletion window"]:
            weak.append("deletion window shortened")
        if changes:
            out.append(KeyChange(name, a[name]["stack"], "changed", changes, weak))
    return out

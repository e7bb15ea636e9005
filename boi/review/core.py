"""The pure core: two synths (stack name -> parsed cdk.tf.json) in, the review out; no cdktn."""

from __future__ import annotations

from collections.abc import Mapping

from boi.review.controls import diff_controls
from boi.review.iam import diff_policies, synth_environment
from boi.review.keys import diff_keys
from boi.review.model import Review, ReviewError
from boi.review.resources import diff_resources


def diff_synth(
    before: Mapping[str, dict],
    after: Mapping[str, dict],
    *,
    account_id: str | None = None,
    region: str | None = None,
) -> Review:
    """Compare two synths (stack name -> parsed cdk.tf.json) and return the review."""
    for name, synth in (("before", before), ("after", after)):
        if not isinstance(synth, Mapping) or not all(isinstance(v, dict) for v in synth.values()):
            raise ReviewError(f"{name}: expected a mapping of stack name -> parsed cdk.tf.json dict")
    env_account, env_region = synth_environment(after or before)
    account, region = account_id or env_account, region or env_region
    review = Review()
    try:
        review.policies, review.warnings = diff_policies(before, after, account, region)
    except ValueError as err:
        raise ReviewError(f"cannot read the IAM policies: {err}") from err
    review.keys = diff_keys(before, after)
    review.controls = diff_controls(before, after)
    review.resources = diff_resources(before, after)
    return review

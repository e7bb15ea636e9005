"""AuditBaseline: thin construct mapping the audit core onto AWS provider resources.

Every resource gets a fixed Terraform logical id (see common._fix) because the control catalog and
the documents name resources by address; one AuditBaseline per stack.

The construct (`construct`) composes one builder per part of the baseline, each in its own module:
`archive` (log archive and access-log buckets), `trail` (CloudTrail and its log group), `config`
(recorder, delivery, managed and Guard rules, aggregator), `alarms` (alert topic, CIS alarms,
paging rules), `security_hub`, `detectors` (GuardDuty, Macie, Access Analyzer) and `athena`;
`LogArchive` builds only the archive (a central log archive account) and `ExternalArchive` points a
baseline at one; `common` holds what they share and `protected` what the app protects of the baseline.
"""

from __future__ import annotations

from boi_audit.baseline.construct import AuditBaseline, ExternalArchive, LogArchive
from boi_audit.baseline.detectors import GUARDDUTY_FEATURES, UNUSED_ACCESS_AGE_DAYS
from boi_audit.baseline.protected import protected_resources

__all__ = [
    "GUARDDUTY_FEATURES",
    "UNUSED_ACCESS_AGE_DAYS",
    "AuditBaseline",
    "ExternalArchive",
    "LogArchive",
    "protected_resources",
]

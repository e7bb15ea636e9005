"""boi-audit: trail + log archive, Config, Security Hub, GuardDuty, Macie, Access Analyzer, CIS alarms,
the control catalog and the audit-plan renderer.

The pure core (catalog, settings, guard, policies, queries, checks, render) imports no cdktn; the constructs
live in boi_audit.baseline and boi_audit.documents_protection.
"""

__version__ = "1.0.0"

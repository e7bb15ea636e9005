"""The organization layout (AWS Security Reference Architecture): one stack per account.

`layout` is pure (OUs, which account sits where, which SCP and RCP attach where, the trusted base);
`management`, `log_archive`, `security_tooling` and `identity_center` are thin constructs over it and
over the components (`boi_iam.guardrails`, `boi_audit.baseline`, `boi_kms.key_ring`); app/stacks/organization.py
builds the stacks, each with its own provider (assume_role into its account) and its own state.
"""

"""One pure model of the synthesized Terraform JSON: every reader (components and tooling) uses it."""

"""The foundation and bootstrap stacks' content: keys, guardrails, people, service roles, audit, deployers."""

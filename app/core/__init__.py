"""Shared by the foundation and the tiers: deterministic names, the protected-asset registry, nested blocks."""

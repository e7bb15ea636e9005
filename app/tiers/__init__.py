"""The platform stack's tiers: network, data, messaging, compute, API, edge."""

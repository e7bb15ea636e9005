"""BOI platform KMS component: key classes, key policies, key ring, rotation schedule and report."""

__version__ = "1.0.0"

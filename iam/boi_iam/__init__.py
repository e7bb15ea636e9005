"""BOI platform component."""

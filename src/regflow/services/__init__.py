"""Use cases, one unit of work each. They carry out the engine's effects."""

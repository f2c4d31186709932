"""The pure core of regflow: models, flow specs, the engine and security primitives.

Nothing here does I/O or imports a web framework or database library (an
import-linter contract enforces it); services carry out the effects it returns.
"""

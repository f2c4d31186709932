"""The native JSON API under ``/v1``."""

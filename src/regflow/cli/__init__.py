"""The ``regflow`` command."""

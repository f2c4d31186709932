"""Test support: harnesses and readers of real outboxes and mail sinks."""

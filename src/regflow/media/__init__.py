"""Adapters for uploaded media: Pillow re-encoding and the file store."""

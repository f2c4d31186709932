"""The process's heap, settled once it has started.

A started service holds some 170,000 long-lived objects (modules, the flows, SQLAlchemy's
tables and compiled statements, FastAPI's routes, the templates). CPython's cyclic
collector walks all of them on every full collection, which under load paused a request
for tens of milliseconds several times a minute: most of a cheap call's p99. Freezing
them after start-up moves them out of the collector's generations; what requests make
is still collected as before.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect what start-up left behind, then exempt the rest from later collections."""
    gc.collect()
    gc.freeze()

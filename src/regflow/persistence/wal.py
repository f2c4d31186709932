"""SQLite's WAL checkpoints, taken off the event loop by a thread of their own.

In WAL mode a commit appends pages to the ``-wal`` file; a *checkpoint* copies them
back into the database file and syncs both (``synchronous=NORMAL`` syncs only
there). By default SQLite checkpoints inside the commit that takes the WAL past
1,000 pages, on whatever thread committed: for regflow's inline connections
(``sqlite_inline``) that is the event loop, which then stands still for the copy
and two ``fsync`` calls while every other request waits (measured on a busy
server: one commit in seventy, 7 ms each on average, up to 60 ms).

``WalCheckpointer`` runs a passive checkpoint every ``interval`` seconds on its
own connection, in a daemon thread; the ``sqlite3`` module releases the GIL while
SQLite works, so the loop goes on serving. A passive checkpoint takes no lock that
a writer or reader waits for: it copies what no reader still needs and stops.
While it runs, connections of an engine made with ``background_checkpoints`` only
checkpoint at ``SAFETY_PAGES`` (a checkpointer that stopped or fell behind still
leaves a bounded WAL), and the last connection to close checkpoints the rest, as
before.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 0.25
SAFETY_PAGES = 10_000  # about 40 MiB of WAL: reached only when no checkpointer keeps up


def sqlite_file(url: str) -> str | None:
    """The database file of a SQLite ``url``, or None (another database, or in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or "mode=memory" in database:
        return None
    return database


class WalCheckpointer:
    """Checkpoints the WAL of ``database`` every ``interval`` seconds, off the loop.

    ``start`` and ``stop`` are called by whoever owns the engine (the app's lifespan,
    ``regflow worker``); ``checkpoint`` runs one pass now and returns SQLite's
    ``(busy, wal pages, pages checkpointed)``.
    """

    def __init__(self, database: str, interval: float = INTERVAL_SECONDS) -> None:
        self.database = database
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one connection, used by one pass at a time
        self._conn: sqlite3.Connection | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="regflow-wal", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, if started, and close the connection: the last connection to
        the database to close checkpoints what is left and removes the WAL."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def checkpoint(self) -> tuple[int, int, int]:
        with self._lock:
            if self._conn is None:
                # timeout 0: a pass that meets a lock skips; the next one comes soon
                self._conn = sqlite3.connect(
                    self.database,
                    timeout=0,
                    isolation_level=None,
                    check_same_thread=False,
                    uri=self.database.startswith("file:"),  # as the engine's connections
                )
            # PASSIVE copies the bulk beside the writers; RESTART then copies what they
            # added meanwhile and lets the next writer start the WAL over. Without a busy
            # handler, RESTART takes the write lock only if it is free at once (else it
            # copies what it can, like PASSIVE): writers wait for a handful of pages at
            # most, on the loop. Every row is read: a statement left open would keep a
            # read mark on the WAL.
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            (row,) = self._conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
        busy, pages, done = (int(x) for x in row)
        return busy, pages, done

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.checkpoint()
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    log.warning("WAL checkpoint failed: %s", error)
            except Exception:  # the thread must outlive a bad moment; connections still
                log.exception("WAL checkpoint failed")  # checkpoint at SAFETY_PAGES

"""Operator read models: the outbox, the funnel report, the development mailbox."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from regflow.api.v1.serialize._time import timestamp
from regflow.services.funnel import FunnelReport
from regflow.services.mailbox import MailboxEntry
from regflow.services.outbox_admin import MessageView, OutboxOverview


def outbox_message(view: MessageView) -> dict[str, Any]:
    return {
        "id": view.id,
        "kind": view.kind.value,
        "template": view.template,
        "status": view.status.value,
        "recipient": view.recipient,
        "locale": view.locale,
        "attempts": view.attempts,
        "created_at": timestamp(view.created_at),
        "available_at": timestamp(view.available_at),
        "last_error": view.last_error,
    }


def outbox_overview(overview: OutboxOverview) -> dict[str, Any]:
    """``GET /v1/admin/outbox`` (and ``regflow outbox --json``)."""
    return {
        "counts": {status.value: count for status, count in overview.counts.items()},
        "statuses": [s.value for s in overview.statuses],
        "messages": [outbox_message(m) for m in overview.messages],
    }


def funnel_report(report: FunnelReport) -> dict[str, Any]:
    """``GET /v1/admin/funnel`` (its HTML page and ``regflow funnel --json`` show the same)."""
    return {
        "since": timestamp(report.since),
        "until": timestamp(report.until),
        "generated_at": timestamp(report.generated_at),
        "flow": report.flow,
        "flows": [
            {
                "flow": f.flow,
                "experiment": f.experiment,
                "variants": [asdict(v) for v in f.variants],
                "comparisons": [asdict(c) for c in f.comparisons],
            }
            for f in report.flows
        ],
    }


def mailbox_entry(entry: MailboxEntry) -> dict[str, Any]:
    """One message of ``GET /dev/mailbox.json`` (its times with ``+00:00``, as always)."""
    return {
        "id": entry.id,
        "kind": entry.kind.value,
        "recipient": entry.recipient,
        "template": entry.template,
        "locale": entry.locale,
        "status": entry.status.value,
        "attempts": entry.attempts,
        "last_error": entry.last_error,
        "created_at": entry.created_at.isoformat(),
        "sent_at": entry.sent_at.isoformat() if entry.sent_at else None,
        "subject": entry.subject,
        "text": entry.text,
        "html": entry.html,
        "code": entry.code,
        "link": entry.link,
        "scrubbed": entry.scrubbed,
    }

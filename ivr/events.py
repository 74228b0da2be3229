"""The one seam for storing what happens in calls.

The call flow reports `Event`s (a question was answered or not, a transfer failed, a
message was left); the web layer hands each to an `EventSink` with the call's
pseudonym. Today the sink writes privacy-safe log lines; a database-backed sink for
the staff dashboard plugs in here without touching the flow.
"""

from __future__ import annotations

import json
import logging
from typing import Protocol

from ivr.flow import Event

log = logging.getLogger("ivr.events")


class EventSink(Protocol):
    def record(self, call: str, event: Event) -> None: ...


class LogEventSink:
    """Writes one JSON log line per event. Events never carry caller words or numbers."""

    def record(self, call: str, event: Event) -> None:
        line = json.dumps({"call": call, "event": event.name, **event.data}, sort_keys=True)
        if event.name == "voicemail" and event.data.get("urgent"):
            # An urgent message waits in Twilio until someone listens: make it loud for log alerts.
            log.warning("URGENT MESSAGE left after the on-call clinician did not answer: %s", line)
        else:
            log.info("event %s", line)


class MemoryEventSink:
    """Keeps events in a list: for tests and the local simulator."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Event]] = []

    def record(self, call: str, event: Event) -> None:
        self.events.append((call, event))

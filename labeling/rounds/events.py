"""The interaction events the labeling page records, their rules, and the timing derived from them.

An event is `{"t": ms since the item was shown, "type": …}` plus optional `q` (search text),
`wnid` and `picker`. The page sends them with each answer; they are stored raw and processed
later (labeling.rounds.timing), so the rules here bound what may be stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from labeling.rounds.models import Picker
from labeling.taxonomy.text import is_wnid

MAX_EVENTS = 5000
MAX_EVENTS_BYTES = 256 * 1024
MAX_SEARCH_TEXT = 200
MAX_T_MS = 10**9  # about 11.5 days: far beyond any item, small enough for any integer column
EVENT_KEYS = {"t", "type", "q", "wnid", "picker"}


class EventType(models.TextChoices):
    SEARCH = "search", "typed a search"
    NODE_OPEN = "node_open", "opened a node of the hierarchy"
    CANDIDATE_VIEW = "candidate_view", "viewed a candidate's guide entry and references"
    PIN = "pin", "pinned a candidate"
    UNPIN = "unpin", "unpinned a candidate"
    COMPARE = "compare", "opened the side-by-side compare"
    GUIDE_OPEN = "guide_open", "opened the guide"
    FLAG = "flag", "flagged the image"
    ZOOM = "zoom", "zoomed or panned"
    VISIBILITY_HIDDEN = "visibility_hidden", "tab hidden"
    VISIBILITY_VISIBLE = "visibility_visible", "tab visible"
    BLUR = "blur", "window lost focus"
    FOCUS = "focus", "window focused"
    IDLE = "idle", "no interaction for the idle limit"
    ACTIVE = "active", "interaction after idling"
    CONFIRM = "confirm", "confirmed the answer"


# Events that are not the labeler doing something, only the page's presence changing.
PRESENCE_EVENTS = {
    EventType.VISIBILITY_HIDDEN,
    EventType.VISIBILITY_VISIBLE,
    EventType.BLUR,
    EventType.FOCUS,
    EventType.IDLE,
    EventType.ACTIVE,
}


# Built once: an enum's `values` makes a new list on every access, and events_clean checks
# every event of every answer against them.
_EVENT_TYPES = frozenset(EventType.values)
_PICKERS = frozenset(Picker.values)


def events_clean(events: Any) -> list[dict[str, Any]]:
    """The events as they will be stored, or ValidationError naming every problem (at most ten).

    Unknown keys and types are refused rather than dropped: the log is evidence, and a page that
    sends something else has a bug worth hearing about.
    """
    if not isinstance(events, list):
        raise ValidationError({"events": ["Send the events as a list."]})
    if len(events) > MAX_EVENTS:
        raise ValidationError(
            {"events": [f"At most {MAX_EVENTS} events per answer ({len(events)} sent)."]}
        )
    problems: list[str] = []
    cleaned: list[dict[str, Any]] = []
    for index, event in enumerate(events):
        where = f"events[{index}]"
        if not isinstance(event, dict):
            problems.append(f"{where}: an event is an object with t and type.")
            continue
        unknown = sorted(set(event) - EVENT_KEYS)
        if unknown:
            problems.append(f"{where}: unknown keys {', '.join(map(repr, unknown))}.")
        t = event.get("t")
        if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t <= MAX_T_MS:
            problems.append(f"{where}.t: milliseconds since the item was shown, 0 to {MAX_T_MS}.")
        kind = event.get("type")
        if kind not in _EVENT_TYPES:
            problems.append(f"{where}.type: unknown event type {kind!r}.")
        item: dict[str, Any] = {"t": t, "type": kind}
        if "q" in event:
            q = event["q"]
            if not isinstance(q, str) or len(q) > MAX_SEARCH_TEXT:
                problems.append(f"{where}.q: search text of at most {MAX_SEARCH_TEXT} characters.")
            item["q"] = q
        if "wnid" in event:
            if not is_wnid(event["wnid"]):
                problems.append(f"{where}.wnid: not a wnid (n and 8 digits).")
            item["wnid"] = event["wnid"]
        if "picker" in event:
            if event["picker"] not in _PICKERS:
                problems.append(f"{where}.picker: one of {', '.join(Picker.values)}.")
            item["picker"] = event["picker"]
        cleaned.append(item)
        if len(problems) >= 10:
            break
    if problems:
        raise ValidationError({"events": problems})
    size = len(json.dumps(cleaned, separators=(",", ":")).encode())
    if size > MAX_EVENTS_BYTES:
        raise ValidationError(
            {"events": [f"The events take {size:,} bytes; at most {MAX_EVENTS_BYTES:,} allowed."]}
        )
    return cleaned


@dataclass(frozen=True)
class EventTiming:
    """What the events say about one item's time on screen (all in seconds)."""

    active: float
    hidden: float
    idle: float
    first_interaction: float | None
    counts: dict[str, int]
    final_picker: str


def events_timing(events: list[dict[str, Any]], *, wall_ms: int, idle_limit_ms: int) -> EventTiming:
    """Measure active time from the events, independently of the page's own figure.

    The page starts visible, focused and active at t = 0. Time counts as active while the tab is
    visible and focused and the labeler did something (any non-presence event, `active`,
    `focus` or `visibility_visible`) within the last idle limit; an `idle` event ends activity
    at once. Events after the server's wall time are cut off there, so the result never exceeds
    it.
    """
    visible = focused = True
    idle = False
    last_activity = 0
    previous = 0
    active = hidden = 0
    first_interaction: int | None = None
    counts = {kind: 0 for kind in EventType.values}
    final_picker = ""

    def spend(until: int) -> None:
        nonlocal active, hidden
        span = until - previous
        if span <= 0:
            return
        if not (visible and focused):
            hidden += span
        elif not idle:
            active += max(0, min(until, last_activity + idle_limit_ms) - previous)

    for event in sorted(events, key=lambda e: e["t"]):
        t = min(event["t"], wall_ms)
        spend(t)
        previous = max(previous, t)
        kind = event["type"]
        counts[kind] += 1
        if kind == EventType.VISIBILITY_HIDDEN:
            visible = False
        elif kind == EventType.BLUR:
            focused = False
        elif kind == EventType.IDLE:
            idle = True
        else:
            if kind == EventType.VISIBILITY_VISIBLE:
                visible = True
            elif kind == EventType.FOCUS:
                focused = True
            elif first_interaction is None and kind not in PRESENCE_EVENTS:
                first_interaction = t
            idle = False
            last_activity = t
        if kind == EventType.CONFIRM and event.get("picker"):
            final_picker = event["picker"]
    spend(wall_ms)
    return EventTiming(
        active=active / 1000,
        hidden=hidden / 1000,
        idle=max(0, wall_ms - active - hidden) / 1000,
        first_interaction=None if first_interaction is None else first_interaction / 1000,
        counts=counts,
        final_picker=final_picker,
    )

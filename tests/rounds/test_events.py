"""Interaction events: what may be stored, and the time they show as active."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from labeling.rounds.events import events_clean, events_timing

MINUTE = 60_000


def timing(events, wall_ms, idle_limit_ms=120_000):
    return events_timing(events_clean(events), wall_ms=wall_ms, idle_limit_ms=idle_limit_ms)


def test_a_busy_labeler_is_active_the_whole_time():
    result = timing(
        [
            {"t": 500, "type": "search", "q": "terr"},
            {"t": 4000, "type": "candidate_view", "wnid": "n02094114"},
            {"t": 9000, "type": "confirm", "picker": "search"},
        ],
        wall_ms=9000,
    )
    assert (result.active, result.hidden, result.idle) == (9.0, 0.0, 0.0)
    assert result.first_interaction == 0.5
    assert result.counts["search"] == 1 and result.counts["candidate_view"] == 1
    assert result.final_picker == "search"


def test_a_hidden_tab_does_not_count():
    result = timing(
        [
            {"t": 1000, "type": "visibility_hidden"},
            {"t": 61_000, "type": "visibility_visible"},
            {"t": 70_000, "type": "confirm"},
        ],
        wall_ms=70_000,
    )
    assert (result.active, result.hidden) == (10.0, 60.0)


def test_time_beyond_the_idle_limit_without_interaction_is_idle():
    result = timing(
        [{"t": 1000, "type": "zoom"}, {"t": 10 * MINUTE, "type": "confirm"}],
        wall_ms=10 * MINUTE,
        idle_limit_ms=2 * MINUTE,
    )
    # Active from 0 to the zoom and two minutes after it; idle until the confirm.
    assert result.active == pytest.approx(121.0)
    assert result.idle == pytest.approx(600 - 121.0)
    assert result.active + result.idle + result.hidden == pytest.approx(600)


def test_the_pages_idle_and_active_events_are_followed():
    result = timing(
        [
            {"t": 5000, "type": "idle"},
            {"t": 65_000, "type": "active"},
            {"t": 70_000, "type": "confirm"},
        ],
        wall_ms=70_000,
    )
    assert result.active == 10.0 and result.idle == 60.0


def test_events_after_the_servers_wall_time_are_cut_off():
    result = timing([{"t": 50_000, "type": "confirm"}], wall_ms=20_000)
    assert result.active == 20.0  # never more than the server saw


def test_no_events_means_active_up_to_the_idle_limit():
    assert timing([], wall_ms=300_000, idle_limit_ms=120_000).active == 120.0
    assert timing([], wall_ms=0).active == 0.0


@pytest.mark.parametrize(
    "event",
    [
        {"t": True, "type": "zoom"},
        {"t": 1.5, "type": "zoom"},
        {"t": 10**10, "type": "zoom"},
        {"type": "zoom"},
        {"t": 1, "type": "teleport"},
        {"t": 1, "type": "zoom", "wnid": "dog"},
        {"t": 1, "type": "zoom", "picker": "magic"},
        {"t": 1, "type": "search", "q": 5},
        "zoom",
    ],
)
def test_malformed_events_are_refused(event):
    with pytest.raises(ValidationError) as error:
        events_clean([event])
    assert error.value.message_dict["events"][0].startswith("events[0]")


def test_problems_are_listed_up_to_ten():
    with pytest.raises(ValidationError) as error:
        events_clean([{"t": -1, "type": "x"}] * 50)
    assert len(error.value.message_dict["events"]) == 10

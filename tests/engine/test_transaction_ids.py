"""Transaction ids: GUIDs that sort in the order they were made (UUID version 7)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from junction.engine.transactions import new_id
from junction.guids import is_guid


def test_ids_are_version_7_guids_that_carry_their_time() -> None:
    at = datetime(2026, 12, 7, 16, 0, 0, 123000, tzinfo=UTC)
    made = new_id(at)
    assert is_guid(made)
    parsed = uuid.UUID(made)
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert int(made[:8] + made[9:13], 16) == int(at.timestamp() * 1000)


def test_ids_sort_in_the_order_they_were_made_and_never_repeat() -> None:
    start = datetime(2026, 12, 7, tzinfo=UTC)
    made = [new_id(start + timedelta(milliseconds=n)) for n in range(1000)]
    assert made == sorted(made)
    assert len(set(made)) == 1000
    # Within one millisecond the rest is random: still all different.
    same = {new_id(start) for _ in range(1000)}
    assert len(same) == 1000
    # Without a time, now.
    before = int(datetime.now(UTC).timestamp() * 1000)
    stamp = int(new_id().replace("-", "")[:12], 16)
    assert before <= stamp <= before + 5000

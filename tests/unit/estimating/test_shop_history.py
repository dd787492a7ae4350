"""The generated shop history has the structure of a real one, and reads back without a bad row."""

from __future__ import annotations

import io
from collections import Counter
from statistics import mean

from ordertrail.demo.shop_history import _is_peak, write_history
from ordertrail.domain.estimating.history import iter_lines, read_history
from ordertrail.services.estimating.calendars import calendar_book


def test_many_origins_three_or_four_scans_and_a_slower_peak() -> None:
    out = io.StringIO()
    rows = write_history(out, parcels=2000, seed=4, calendars=calendar_book())
    read = read_history(iter_lines(iter(io.StringIO(out.getvalue()))))
    assert (read.rows, len(read.parcels), read.bad_rows, read.undelivered) == (rows, 2000, [], 0)
    assert set(Counter(len(p.events) for p in read.parcels)) == {3, 4}
    origins = Counter(p.lane.origin for p in read.parcels)
    assert len(origins) > 150 and origins.most_common(1)[0][1] > 5 * 2000 / len(origins)  # a few big sellers
    assert all(p.promised is not None and p.region for p in read.parcels)
    days = [(p.delivered_at - p.placed_at).total_seconds() / 86400 for p in read.parcels]
    peak = [d for d, p in zip(days, read.parcels, strict=True) if _is_peak(p.placed_at.date())]
    calm = [d for d, p in zip(days, read.parcels, strict=True) if not _is_peak(p.placed_at.date())]
    assert len(peak) > 200 and mean(peak) > mean(calm) + 0.5

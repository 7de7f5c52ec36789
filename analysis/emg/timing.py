"""Optional wall-clock time of each step of the EMG stage, for benchmarks.

``process_subject`` marks its steps with :func:`stage`; nothing is recorded unless a caller
collects them with :func:`stage_times` (then each mark costs two ``perf_counter`` calls).

Examples
--------
>>> with stage_times() as times:
...     with stage("filter"):
...         pass
>>> list(times)
['filter']
>>> with stage("filter"):  # not collecting: no effect
...     pass
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from time import perf_counter

STAGES = ("events", "filter", "qc", "envelope", "cycles", "features", "tables")

_TOTALS: ContextVar[dict[str, float] | None] = ContextVar("emg_stage_times", default=None)


@contextmanager
def stage_times() -> Iterator[dict[str, float]]:
    """Collect the seconds spent in each :func:`stage` inside the ``with`` block."""
    totals: dict[str, float] = {}
    token = _TOTALS.set(totals)
    try:
        yield totals
    finally:
        _TOTALS.reset(token)


class stage:  # noqa: N801 (used like a function: ``with stage("qc"):``)
    """Add the time spent inside the ``with`` block to step ``name`` (when collecting)."""

    __slots__ = ("name", "start", "totals")

    def __init__(self, name: str) -> None:
        self.name = name
        self.totals = _TOTALS.get()
        self.start = 0.0

    def __enter__(self) -> None:
        if self.totals is not None:
            self.start = perf_counter()

    def __exit__(self, *exc: object) -> None:
        if self.totals is not None:
            self.totals[self.name] = self.totals.get(self.name, 0.0) + perf_counter() - self.start

from __future__ import annotations

import time

import pytest

from ws_sync.utils import Deadline


def test_no_timeout() -> None:
    deadline = Deadline(None)
    assert deadline.deadline is None
    assert deadline.timeout() is None
    assert deadline.timeout(raise_if_elapsed=False) is None


def test_timeout_decreases() -> None:
    deadline = Deadline(10)
    first = deadline.timeout()
    assert first is not None and 9 < first <= 10
    time.sleep(0.01)
    second = deadline.timeout()
    assert second is not None and second < first


def test_elapsed_raises() -> None:
    deadline = Deadline(0)
    with pytest.raises(TimeoutError, match="timed out"):
        deadline.timeout()


def test_elapsed_without_raising() -> None:
    deadline = Deadline(-1)
    remaining = deadline.timeout(raise_if_elapsed=False)
    assert remaining is not None and remaining < 0

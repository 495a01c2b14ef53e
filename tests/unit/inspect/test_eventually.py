"""eventually(): retries, backoff, and a timeout message that keeps the last real failure."""

from __future__ import annotations

import pytest

from stratatest.inspect import eventually


class FakeClock:
    """Time that moves only when eventually() sleeps, so tests never really wait."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def sequence(*outcomes):
    """A check that returns (or raises) each outcome in turn, repeating the last."""
    calls = {"n": 0}

    def check():
        outcome = outcomes[min(calls["n"], len(outcomes) - 1)]
        calls["n"] += 1
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    check.calls = calls
    return check


def test_returns_first_truthy_value_without_sleeping(clock):
    assert eventually(lambda: "ready", clock=clock, sleep=clock.sleep) == "ready"
    assert clock.sleeps == []


def test_retries_through_falsy_values_and_exceptions(clock):
    check = sequence(False, AssertionError("not yet"), KeyError("k"), {"ok": 1})
    assert eventually(check, clock=clock, sleep=clock.sleep) == {"ok": 1}
    assert check.calls["n"] == 4


def test_backoff_grows_and_caps(clock):
    check = sequence(*([False] * 6), True)
    eventually(check, interval=1.0, backoff=2.0, max_interval=5.0, timeout=100, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_last_sleep_is_cut_to_the_deadline_and_a_final_attempt_runs(clock):
    check = sequence(False)
    with pytest.raises(AssertionError):
        eventually(check, timeout=2.0, interval=1.5, backoff=1.0, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == [1.5, 0.5]
    assert check.calls["n"] == 3


def test_timeout_message_has_attempts_seconds_and_last_assertion(clock):
    check = sequence(AssertionError("first"), AssertionError("bucket not encrypted"))
    with pytest.raises(AssertionError) as info:
        eventually(check, timeout=3.0, interval=1.0, backoff=1.0, clock=clock, sleep=clock.sleep)
    message = str(info.value)
    assert "4 attempts" in message
    assert "3.0s" in message
    assert "bucket not encrypted" in message
    assert "first" not in message
    assert isinstance(info.value.__cause__, AssertionError)
    assert str(info.value.__cause__) == "bucket not encrypted"


def test_timeout_message_names_exception_type(clock):
    check = sequence(ValueError("boom"))
    with pytest.raises(AssertionError, match=r"ValueError: boom") as info:
        eventually(check, timeout=1.0, clock=clock, sleep=clock.sleep)
    assert isinstance(info.value.__cause__, ValueError)


def test_timeout_message_shows_falsy_return_and_is_not_chained(clock):
    with pytest.raises(AssertionError, match=r"returned \[\]") as info:
        eventually(lambda: [], timeout=1.0, clock=clock, sleep=clock.sleep)
    assert info.value.__cause__ is None


def test_a_check_of_plain_asserts_passes_when_they_hold(clock):
    state = {"n": 0}

    def check() -> None:
        state["n"] += 1
        assert state["n"] >= 3, f"only {state['n']} so far"

    assert eventually(check, timeout=10.0, clock=clock, sleep=clock.sleep) is None
    assert state["n"] == 3


def test_zero_timeout_tries_once(clock):
    check = sequence(False)
    with pytest.raises(AssertionError, match=r"after 1 attempt over 0.0s"):
        eventually(check, timeout=0.0, clock=clock, sleep=clock.sleep)
    assert check.calls["n"] == 1
    assert clock.sleeps == []


def test_last_failure_is_reported_when_earlier_ones_differ(clock):
    check = sequence(KeyError("early"), False)
    with pytest.raises(AssertionError, match=r"returned False") as info:
        eventually(check, timeout=1.0, interval=0.5, backoff=1.0, clock=clock, sleep=clock.sleep)
    assert info.value.__cause__ is None


def test_base_exceptions_are_not_retried(clock):
    check = sequence(KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        eventually(check, clock=clock, sleep=clock.sleep)
    assert check.calls["n"] == 1


@pytest.mark.parametrize("kwargs", [{"timeout": -1}, {"interval": 0}, {"backoff": 0.5}, {"max_interval": 0}])
def test_rejects_nonsense_settings(kwargs, clock):
    with pytest.raises(ValueError):
        eventually(lambda: True, clock=clock, sleep=clock.sleep, **kwargs)


def test_default_clock_and_sleep_work():
    assert eventually(lambda: 1, timeout=0.1) == 1

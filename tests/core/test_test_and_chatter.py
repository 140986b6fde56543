"""The installer's test (no delays for ten minutes) and the chatter budget."""

from __future__ import annotations

from dataclasses import replace

from lightctl.core.fastreplay import fast_replay
from lightctl.core.model import Reason, SetTest, Settings
from lightctl.core.replay import replay
from tests.core.helpers import Driver, on_off

S = Settings(on_delay=30, off_delay=60, smoothing=1, min_on=120, min_off=120)
DARK, BRIGHT = 2.0, 500.0


def test_the_installers_test_answers_at_once_then_ends_by_itself():
    d = Driver(S)
    d.hold(BRIGHT, 10)
    d.send(SetTest(d.now, True))
    assert on_off(d.sample(DARK)) == [(True, "test")]  # no on_delay, no min_off
    assert on_off(d.sample(BRIGHT)) == [(False, "test")]  # no off_delay, no min_on
    assert on_off(d.sample(DARK)) == [(True, "test")]
    assert d.state.test_until_mono is not None
    d.hold(DARK, 600)  # the ten minutes pass
    assert d.state.test_until_mono is None
    assert d.hold(BRIGHT, 60) == []  # off_delay is back
    assert on_off(d.sample(BRIGHT)) == [(False, "light")]


def test_the_test_can_be_ended_early():
    d = Driver(S)
    d.send(SetTest(d.now, True))
    d.send(SetTest(d.now, False))
    assert d.state.test_until_mono is None


def flicker(n: int, period: float = 200.0) -> list[tuple[float, float]]:
    """A light that flips between dark and bright every ``period`` s."""
    t0, out = 1_768_500_000.0, []
    for k in range(n):
        for i in range(int(period)):
            out.append((t0 + k * period + i, DARK if k % 2 == 0 else BRIGHT))
    return out


def test_the_chatter_budget_holds_the_lamp_and_says_why():
    s = Settings(on_delay=10, off_delay=10, smoothing=1, chatter_limit=6)
    d = Driver(s)
    sw = []
    for _t, lux in flicker(7):  # the 7th flip (dark) would be the 7th switch
        sw += d.sample(lux)
    assert len(sw) == 6 and d.lamp is False
    assert d.state.reason is Reason.CHATTER
    assert "more than 6 automatic switches in an hour" in d.state.chatter_problem
    # it stays dark: once the hour has passed the budget is back, the lamp follows
    later = d.hold(DARK, 3600)
    assert on_off(later) == [(True, "dark")] and d.state.chatter_problem is None


def test_fast_replay_models_the_chatter_budget():
    s = Settings(on_delay=10, off_delay=10, smoothing=1, chatter_limit=6)
    samples = flicker(14)
    assert fast_replay(samples, s) == replay(samples, s)
    assert len(replay(samples, s)) < len(replay(samples, replace(s, chatter_limit=0)))

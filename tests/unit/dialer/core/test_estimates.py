"""Online estimates: they learn the answer rate, time to answer and talk time, do not
turn optimistic while long durations are still running, and follow a drift."""

import numpy as np
import pytest

from engine.dialer.core.estimates import DialEstimates, TalkEstimates, norm_cdf

H = np.arange(0.0, 32.0)


def feed_dials(est, n, live_rate, start=0.0, spacing=1.0, seed=0):
    rng = np.random.default_rng(seed)
    for i in range(n):
        started = start + i * spacing
        if rng.random() < live_rate:
            ring, outcome = float(rng.uniform(5, 15)), "live"
        else:
            ring, outcome = 25.0, "no-answer"
        est.record_dial(started + ring, ring, outcome, 1.5)
    return start + n * spacing


def test_norm_cdf_matches_known_values():
    assert norm_cdf(np.array([0.0]))[0] == pytest.approx(0.5)
    assert norm_cdf(np.array([1.96]))[0] == pytest.approx(0.975, abs=1e-4)
    assert norm_cdf(np.array([-3.0]))[0] == pytest.approx(0.00135, abs=1e-5)


@pytest.mark.parametrize("live_rate", [0.05, 0.2, 0.5])
def test_live_rate_is_learnt_from_any_prior(live_rate):
    est = DialEstimates(prior_live=0.3, prior_answered=0.4)
    now = feed_dials(est, 3000, live_rate)
    assert est.live_rate(now) == pytest.approx(live_rate, abs=0.03)


def test_a_new_dial_connects_within_the_ring_time_and_old_lines_rarely():
    est = DialEstimates()
    now = feed_dials(est, 2000, 0.3)
    p = est.live_by(now, np.array([0.0, 16.0]), H)
    assert p[0, -1] == pytest.approx(0.3, abs=0.03)
    assert p[0, 5] < p[0, 20]  # not before the lines are answered
    assert p[1, -1] < 0.01  # rung past every live answer: no hope
    assert np.all(np.diff(p, axis=1) >= -1e-12)  # cumulative in the horizon


def test_dials_still_ringing_keep_the_estimate_honest():
    """A burst of dials: the live ones end first. Counting the lines still ringing as
    at risk keeps the live rate from looking like 100%."""
    est = DialEstimates(prior_weight=1.0)
    for _ in range(50):
        est.record_dial(10.0, 10.0, "live")  # 50 lives among 200 dials placed at 0
    ringing = np.full(150, 10.0)
    naive = est.live_rate(10.0)
    honest = est.live_rate(10.0, ringing)
    assert naive > 0.8
    assert 0.25 <= honest < 0.4  # 50 of 200 so far, plus what the prior expects


def test_estimates_follow_a_drift():
    est = DialEstimates(half_life=300.0)
    now = feed_dials(est, 3000, 0.1, seed=1)
    now = feed_dials(est, 3000, 0.4, start=now, seed=2)
    assert est.live_rate(now) == pytest.approx(0.4, abs=0.05)


def test_talk_time_is_learnt_and_calls_in_progress_count():
    est = TalkEstimates(prior_mean=600.0)
    rng = np.random.default_rng(3)
    for i in range(2000):
        est.record_talk(i * 10.0, float(rng.exponential(120.0)))
    assert est.mean(20000.0) == pytest.approx(120.0, rel=0.1)
    free = est.free_by(20000.0, np.array([0.0, 100.0]), H, wrapup=5.0)
    assert free[0, 3] == 0.0  # nobody is free before the wrap-up ends
    assert free[0, -1] == pytest.approx(1 - np.exp(-26 / 120), abs=0.05)


def test_start_of_campaign_talk_estimate_is_not_optimistic():
    """Only short calls have ended yet; 30 calls still running pull the estimate back."""
    est = TalkEstimates(prior_mean=180.0, prior_weight=2.0)
    for i in range(10):
        est.record_talk(60.0 + i, 20.0 + i)
    running = np.full(30, 60.0)
    assert est.mean(70.0, running) > 2 * est.mean(70.0)


def test_a_long_quiet_spell_keeps_what_was_learnt():
    est = DialEstimates()
    feed_dials(est, 2000, 0.3, start=1.7e9)  # epoch seconds
    assert est.live_rate(1.7e9 + 30 * 86400) == pytest.approx(0.3, abs=0.03)

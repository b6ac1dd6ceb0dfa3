"""Combining evidence into a score, a label, a rolling call score and sharp-rise events."""

from __future__ import annotations

import math

import pytest

from engine.speech.emotion.acoustic import Prosody
from engine.speech.emotion.analyze import UtteranceAnalysis
from engine.speech.emotion.lexicon import TextNegativity
from engine.speech.emotion.score import CallEmotion, arousal, combine, label_of


def p(
    loud: float = -25.0,
    pitch: float = 3.0,
    var: float = 1.0,
    rate: float = 4.0,
    active: float = 2.0,
) -> Prosody:
    return Prosody(loud, pitch, var, rate, active, 0.8)


def analysis(
    prosody: Prosody | None = None,
    negativity: float = 0.0,
    complaints: tuple[str, ...] = (),
    model: float | None = None,
):
    text = TextNegativity(negativity, negativity, complaints) if negativity or complaints else None
    return UtteranceAnalysis(prosody or p(), text, model)


@pytest.mark.parametrize(
    "score, label",
    [
        (0.0, "calm"),
        (0.249, "calm"),
        (0.25, "neutral"),
        (0.5, "agitated"),
        (0.75, "angry"),
        (1.0, "angry"),
    ],
)
def test_labels(score, label):
    assert label_of(score) == label


def test_arousal_and_combination_are_bounded_and_monotonic():
    assert arousal({"loudness_db": 0.0}) == pytest.approx(0.05, abs=0.01)
    assert arousal({"loudness_db": 1.5, "pitch_st": 1.5, "pitch_var_st": 1.5}) == 0.5
    assert arousal({"loudness_db": 2.6, "pitch_st": 2.6, "pitch_var_st": 2.6}) > 0.88
    assert combine(0, 0, None) == 0
    assert 0 <= combine(1, 1, 1) <= 1
    assert combine(0.2, 0.5, None) < combine(0.2, 0.5, 0.9) < combine(0.2, 0.9, 0.9)


def test_complaint_words_alone_make_a_calm_voice_agitated():
    call = CallEmotion("c")
    call.observe(analysis(), 0)
    score, _ = call.observe(analysis(negativity=0.8, complaints=("投诉",)), 5)
    assert score.label == "agitated"
    assert "complaint word: 投诉" in score.reasons


def test_a_sharp_rise_is_an_event_with_cooldown():
    call = CallEmotion("c", cooldown=20)
    for i in range(3):
        _, event = call.observe(analysis(), i * 3.0)
        assert event is None
    score, event = call.observe(analysis(p(loud=-12, pitch=8, var=3), 0.7), 10.0)
    assert event is not None and event.score == score.score and event.previous < 0.2
    _, again = call.observe(analysis(), 12.0)
    _, within_cooldown = call.observe(analysis(p(loud=-12, pitch=8, var=3), 0.7), 15.0)
    assert again is None and within_cooldown is None
    for t in (20.0, 23.0, 26.0):
        call.observe(analysis(), t)
    _, later = call.observe(analysis(p(loud=-12, pitch=8, var=3), 0.7), 40.0)
    assert later is not None


def test_the_rolling_score_follows_slowly():
    call = CallEmotion("c")
    call.observe(analysis(), 0)
    score, _ = call.observe(analysis(negativity=1.0), 3)
    assert score.rolling < score.score
    assert call.rolling == pytest.approx(score.rolling)


def test_agitated_utterances_do_not_become_the_baseline():
    call = CallEmotion("c")
    call.observe(analysis(), 0)
    call.observe(analysis(p(loud=-24)), 3)
    loud = analysis(p(loud=-10), 0.9)
    scores = [call.observe(loud, 6 + 3 * i)[0].z["loudness_db"] for i in range(5)]
    assert min(scores) > 3, "a caller who stays loud stays scored as loud"


def test_the_baseline_does_not_depend_on_the_order_of_utterances():
    """A caller who begins angry is not their own calm baseline for the rest of the call:
    their first calmer utterances pull it down, and later angry ones are flagged."""
    calm, angry = p(pitch=3.0), p(loud=-22, pitch=11.0, var=2.0)
    for first in ([angry] * 3 + [calm] * 4, [calm] * 4 + [angry] * 3):
        call = CallEmotion("c")
        for i, utterance in enumerate(first):
            call.observe(analysis(utterance), 3.0 * i)
        late_angry, _ = call.observe(analysis(angry), 30)
        late_calm, _ = call.observe(analysis(calm), 33)
        assert late_angry.label in ("agitated", "angry"), first
        assert late_calm.label == "calm"


def test_short_or_unvoiced_utterances_score_zero_z():
    call = CallEmotion("c")
    call.observe(analysis(), 0)
    blip, _ = call.observe(analysis(p(loud=-5, active=0.1)), 1)
    assert all(v == 0 for v in blip.z.values())
    unvoiced, _ = call.observe(analysis(Prosody(-25, math.nan, math.nan, 4.0, 2.0, 0.0)), 2)
    assert unvoiced.z["pitch_st"] == 0


def test_model_evidence_is_used_when_present():
    call = CallEmotion("c")
    call.observe(analysis(), 0)
    score, _ = call.observe(analysis(model=0.95), 3)
    assert score.model == 0.95 and score.score > 0.5
    assert any("audio model" in r for r in score.reasons)

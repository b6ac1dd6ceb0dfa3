"""One leg's recogniser: 16 kHz PCM in, partial and final ``Transcript``s out.

Synchronous and single-threaded (a worker thread drives it; the offline tools call it
directly). Free-form mode uses the model's full vocabulary; menu mode gives Vosk the
menu's grammar and sets ``intent`` (accepted) or ``confirm`` on finals, judging the best
hypothesis and, when it is not accepted, the 5-best alternatives (confirm only).

Menu mode hears the caller twice (issue 16): through the menu's grammar with ``[unk]``
and through its background grammar (``SpeechMenu.background_grammar``: the phrases plus
common words of the language, no ``[unk]``). ``[unk]`` keeps off-topic speech from being
forced onto a phrase, but it also swallows whole phrases the model heard only half-surely
(付款, 普通话, 帮我转人工 came back as a bare ``[unk]``); with common words in its place,
off-topic speech finds words of its own and a swallowed phrase can still be heard. The two
results are combined by ``intents.combine``: an intent one pass accepts is routed unless
the other pass names another (then: ask). The second pass costs about twice the first's
CPU (benchmarks/intents.py prints it). In
menu mode the energy endpointer finalises as soon as the caller stops (``end_silence``)
when what was heard already names an intent, instead of waiting for Vosk's 0.5 s
trailing-silence rule.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from engine.speech.frontend import NoiseReducer
from engine.speech.intents import ACCEPT, IntentMatch, combine
from engine.speech.menus import UNK, SpeechMenu
from engine.speech.results import Role, Transcript, Word, confident_text, normalise
from engine.speech.vad import Endpointer, SpeechGate

RATE = 16000
ALTERNATIVES = 5  # n-best in menu mode: a lower one naming an intent means "confirm"
# menu mode: the second pass over the background grammar (see above)
BACKGROUND_PASS = True
# menu mode: decode only speech and its margins (``vad.SpeechGate``), not the silence of
# a caller listening to the prompt
SPEECH_GATE = True
Analyzer = Callable[[np.ndarray, str], Any]


class Recognizer:
    def __init__(
        self,
        model: Any,
        leg_id: str,
        *,
        lang: str,
        role: Role = "caller",
        menu: SpeechMenu | None = None,
        partial_interval: float = 0.25,
        end_silence: float = 0.2,
        analyze: Analyzer | None = None,
        keep_seconds: float = 30.0,
        defer_analysis: bool = False,
        denoise: bool = False,
    ) -> None:
        import vosk

        self.leg_id, self.lang, self.role, self.menu = leg_id, lang, role, menu
        self.started_at = time.time()
        self._open: Any = None  # the background pass (menu mode)
        self._open_said: list[str] = []  # its finals since the last final of the menu pass
        if menu is not None:
            known = lambda w: model.vosk_model_find_word(w) >= 0  # noqa: E731
            words = menu.grammar(known)
            self._rec = vosk.KaldiRecognizer(model, RATE, json.dumps(words, ensure_ascii=False))
            self._rec.SetMaxAlternatives(ALTERNATIVES)
            background = menu.background_grammar(known) if BACKGROUND_PASS else []
            if background:
                self._open = vosk.KaldiRecognizer(
                    model, RATE, json.dumps(background, ensure_ascii=False)
                )
        else:
            self._rec = vosk.KaldiRecognizer(model, RATE)
        self._rec.SetWords(True)
        self._vad = Endpointer(end_ms=int(end_silence * 1000))
        self._partial_interval = partial_interval
        self._analyze = analyze
        # menu finals first, their emotion evidence after (``deferred``): the live path
        self._defer = defer_analysis and menu is not None
        self._deferred: tuple[np.ndarray, str, Transcript] | None = None
        self._keep = int(keep_seconds * RATE)
        self._audio: list[np.ndarray] = []
        self._held = 0  # samples in _audio
        self._fed = 0  # samples given to Vosk
        self._gaps: list[tuple[float, float]] = []  # (at recogniser time, seconds skipped)
        self._skips: list[tuple[float, float]] = []  # overload skips, at endpointer time
        self._last_partial = ("", -1.0)
        self._speech_end: float | None = None
        # menu mode: noise reduction before both passes and the endpointer (frontend.py)
        self._denoise = NoiseReducer() if denoise and menu is not None else None
        self._gate = SpeechGate() if SPEECH_GATE and menu is not None else None

    @property
    def position(self) -> float:
        """Seconds of leg audio accounted for (fed, skipped, held before a phrase)."""
        held = self._gate.held if self._gate is not None else 0
        return (self._fed + held) / RATE + sum(gap for _, gap in self._gaps)

    def skip(self, seconds: float) -> None:
        """Audio that was dropped under overload: keeps timestamps true to the leg."""
        if seconds > 0:
            self._gap(seconds)
            self._skips.append((self._vad.position, seconds))

    def _gap(self, seconds: float) -> None:
        at = self._fed / RATE
        if self._gaps and self._gaps[-1][0] == at:  # one gap per stretch not decoded
            self._gaps[-1] = (at, self._gaps[-1][1] + seconds)
        else:
            self._gaps.append((at, seconds))

    def accept(self, pcm: bytes, partials: bool = True) -> list[Transcript]:
        samples = np.frombuffer(pcm, dtype="<i2")
        if self._analyze is not None:
            self._audio.append(samples)
            self._held += len(samples)
            if self._held > 2 * self._keep:  # bounded memory in a very long utterance
                self._audio = [np.concatenate(self._audio)[-self._keep :]]
                self._held = self._keep
        if self._denoise is not None:  # what the passes hear lags by frontend.DELAY
            samples = _pcm16(self._denoise.process(samples))
            pcm = samples.tobytes()
        events = self._vad.feed(samples)
        ended = [t for kind, t in events if kind == "end"]
        if ended:
            self._speech_end = self._vad_time(ended[-1])
        if self._gate is None:
            self._fed += len(samples)
            return self._decode(pcm, bool(ended), partials)
        speech = self._vad.in_speech or any(kind == "start" for kind, _ in events)
        steps, closed = self._gate.feed(samples, speech)
        out: list[Transcript] = []
        for kind, part in steps:
            if kind == "skip":
                self._gap(part / RATE)
            else:
                self._fed += len(part)
                out += self._decode(part.tobytes(), bool(ended), partials)
        if closed:  # the phrase's tail is past: what is still pending is final
            out += self._final(self._rec.FinalResult())
        return out

    def _decode(self, pcm: bytes, ended: bool, partials: bool) -> list[Transcript]:
        if self._open is not None and self._open.AcceptWaveform(pcm):
            self._open_said.append(_best(json.loads(self._open.Result()))[0])
        if self._rec.AcceptWaveform(pcm):
            return self._final(self._rec.Result())
        if self.menu is not None and ended:
            heard = json.loads(self._rec.PartialResult()).get("partial", "")
            if self.menu.match(heard) is not None:
                return self._final(self._rec.FinalResult())
        now = self.position
        if partials and now - self._last_partial[1] >= self._partial_interval:
            raw = json.loads(self._rec.PartialResult()).get("partial", "")
            text = normalise(raw.replace(UNK, " "))
            if text and text != self._last_partial[0]:
                self._last_partial = (text, now)
                start = self._vad.speech_start or 0.0
                return [self._transcript("partial", text, self._vad_time(start), now)]
        return []

    def finish(self) -> list[Transcript]:
        """Flush at the end of the leg: the last final, if anything was being said."""
        if self._denoise is not None:  # the front end's tail
            tail = _pcm16(self._denoise.flush()).tobytes()
            if self._open is not None and self._open.AcceptWaveform(tail):
                self._open_said.append(_best(json.loads(self._open.Result()))[0])
            if self._rec.AcceptWaveform(tail):
                return self._final(self._rec.Result())
        return self._final(self._rec.FinalResult())

    def _final(self, raw: str) -> list[Transcript]:
        """A final result. Its intent comes from its own text only: a partial that named
        an intent does not survive a final that lost the phrase (issue 16: 英文 in the
        main menu gave ``general`` with an empty final)."""
        result = json.loads(raw)
        others: list[str] = []
        if "alternatives" in result:  # menu mode: n-best, the first is the final
            alternatives = result["alternatives"] or [{}]
            others = [a.get("text", "") for a in alternatives[1:]]
            result = alternatives[0]
        heard_open = self._open_texts()
        words = tuple(
            Word(
                w["word"],
                self._leg_time(w["start"]),
                self._leg_time(w["end"]),
                float(w.get("conf", 1.0)),
            )
            for w in result.get("result", [])
            if w.get("word") != UNK
        )
        text = normalise(" ".join(w.word for w in words))
        audio, self._audio, self._held = self._audio, [], 0
        self._last_partial = ("", self.position)
        spoken = result.get("result") or []
        if not spoken and not heard_open:  # silence or noise only: nothing to report
            return []
        if spoken:
            start, end = self._leg_time(spoken[0]["start"]), self._leg_time(spoken[-1]["end"])
        else:  # only the background pass heard words: the endpointer's times
            start = self._vad_time(self._vad.speech_start or 0.0)
            end = self._speech_end if self._speech_end is not None else self.position
        analysis, clip = None, None
        if self._analyze is not None and audio:
            clip = np.concatenate(audio)[-self._keep :].astype(np.float64) / 32768.0
            if not self._defer:
                analysis = self._analyze(clip, confident_text(words))
        transcript = self._transcript(
            "final", text, start, end, words, analysis, others, heard_open
        )
        if self._defer and clip is not None:
            transcript = replace(transcript, pending=True)
            self._deferred = (clip, confident_text(words), transcript)
        self._speech_end = None
        return [transcript]

    def deferred(self) -> list[Transcript]:
        """The emotion evidence of the menu final just handed back (``defer_analysis``),
        as a copy of it with kind "analysis"; nothing when none is owed."""
        if self._deferred is None or self._analyze is None:
            return []
        clip, text, final = self._deferred
        self._deferred = None
        return [replace(final, kind="analysis", pending=False, analysis=self._analyze(clip, text))]

    def _transcript(
        self,
        kind: Any,
        text: str,
        start: float,
        end: float,
        words: tuple[Word, ...] = (),
        analysis: Any = None,
        others: list[str] | None = None,
        heard_open: list[str] | None = None,
    ) -> Transcript:
        final = kind == "final"
        found = self.menu.judge(text) if self.menu is not None and final else None
        if found is not None and found.outcome != "accept" and text and self.menu is not None:
            found = _from_alternatives(self.menu, found, others or [])
        if found is not None and heard_open and self.menu is not None:
            second = self.menu.judge(heard_open[0])  # the background pass's best
            combined = combine(found, second)
            if combined.intent is not None and combined.intent != found.intent and not text:
                text = heard_open[0]  # what named it (an empty final never leads anywhere)
            found = combined
        return Transcript(
            leg_id=self.leg_id,
            role=self.role,
            lang=self.lang,
            kind=kind,
            text=text,
            start=round(start, 3),
            end=round(end, 3),
            started_at=self.started_at,
            words=words,
            menu=self.menu.name if self.menu else None,
            intent=found.intent if found and found.outcome == "accept" else None,
            confirm=found.intent if found and found.outcome == "confirm" else None,
            confidence=found.confidence if found else None,
            affirm=bool(final and self.menu is not None and self.menu.is_yes(text)),
            speech_end=self._speech_end if final else None,
            analysis=analysis,
            made_at=time.time() if final and self.menu is not None else None,
        )

    def _open_texts(self) -> list[str]:
        """What the background pass heard since the menu pass's last final (after its own
        earlier finals; it is flushed: both start afresh)."""
        if self._open is None:
            return []
        said, self._open_said = " ".join(self._open_said), []
        _, alternatives = _best(json.loads(self._open.FinalResult()))
        return [t for t in (f"{said} {a}".strip() for a in alternatives) if t]

    def _leg_time(self, t: float) -> float:
        """A recogniser time (audio decoded) as a time on the leg."""
        return t + sum(gap for at, gap in self._gaps if at <= t)

    def _vad_time(self, t: float) -> float:
        """An endpointer time (audio seen, overload drops left out) as a time on the leg."""
        return t + sum(gap for at, gap in self._skips if at <= t)


def _pcm16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype("<i2")


def _best(result: dict[str, Any]) -> tuple[str, list[str]]:
    """The best text of a Vosk result and all its n-best texts (``[unk]`` removed)."""
    alternatives = result.get("alternatives")
    texts = [a.get("text", "") for a in alternatives] if alternatives else [result.get("text", "")]
    texts = [normalise(t.replace(UNK, " ")) for t in texts]
    return (texts[0] if texts else ""), [t for t in texts if t]


def _from_alternatives(menu: SpeechMenu, found: IntentMatch, others: list[str]) -> IntentMatch:
    """When the final (with text: an empty one never leads anywhere) is not accepted, a
    lower alternative that would be accepted makes the outcome ``confirm`` (never
    ``accept``: the best hypothesis did not say it)."""
    for text in others:
        alt = menu.judge(text)
        if alt.outcome == "accept" and (found.outcome == "no-match" or alt.intent == found.intent):
            confidence = min(alt.confidence, ACCEPT - 0.01)
            return IntentMatch(alt.intent, round(confidence, 3), "confirm", alt.phrase)
    return found

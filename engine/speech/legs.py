"""One call leg heard by the engine: a media port, a recognition session, its emotion.

The glue the call path uses per leg to transcribe (caller and agent separately):

    leg = await LegListener.open(media, speech, "call-42/caller", role="caller",
                                 lang="zh", menu="main", on_transcript=store_and_publish,
                                 on_emotion=hint_alert_record)
    # ARI: snoop the channel (spy=in), create externalMedia with
    #      external_host=leg.external_host, format=slin16, and bridge the two.
    await leg.switch(menu=None)   # IVR done: free-form transcription on the same port
    await leg.stop()              # hangup: flushes audio and the last final, frees all

``on_transcript(t)`` gets every partial and final ``Transcript``; ``on_emotion(t,
score, event)`` gets each caller final's ``EmotionScore`` and, on a sharp rise, an
``EmotionEvent`` (else ``None``). Both run on the event loop and must not block.

Silence that never arrives: a phone with silence suppression (or a simulated party
waiting in the dialplan) sends no packets while it is quiet, and an utterance would never
end. After ``GAP`` seconds without audio the leg feeds silence itself, up to ``FILL``
seconds per gap: enough for the endpointer and the recogniser to close the utterance.
``clock`` is the wall time (epoch seconds) of the current session's first audio, so a
result's wall time is ``clock + t.start``.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable

from engine.media.server import MediaLeg, MediaServer
from engine.speech.emotion.score import CallEmotion, EmotionEvent, EmotionScore
from engine.speech.remote import RemoteSession, RemoteSpeech
from engine.speech.results import Role, Transcript
from engine.speech.service import SpeechService
from engine.speech.session import Session

OnTranscript = Callable[[Transcript], None]
OnEmotion = Callable[[Transcript, EmotionScore, EmotionEvent | None], None]
GAP = 0.25  # seconds without audio before the leg counts the time as silence
FILL = 1.0  # seconds of silence fed per gap at most
_FRAME = 0.02
_SILENCE = bytes(640)  # 20 ms of 16 kHz int16
HELD_MAX = 100  # frames (2 s) kept between two sessions at most; older ones are dropped


class LegListener:
    def __init__(
        self,
        media: MediaServer,
        speech: SpeechService | RemoteSpeech,
        leg_id: str,
        role: Role,
        lang: str,
        on_transcript: OnTranscript,
        on_emotion: OnEmotion | None,
    ) -> None:
        self.media, self.speech = media, speech
        self.leg_id, self.role, self.lang = leg_id, role, lang
        self.emotion = CallEmotion(leg_id) if role == "caller" else None
        self.media_leg: MediaLeg | None = None
        self.session: Session | RemoteSession | None = None
        self._on_transcript, self._on_emotion = on_transcript, on_emotion
        self._held: collections.deque[bytes] = collections.deque(maxlen=HELD_MAX)
        self.clock: float | None = None
        self._loop = asyncio.get_running_loop()
        self._last_audio = 0.0
        self._filled = 0.0
        self._gap: asyncio.TimerHandle | None = None

    @classmethod
    async def open(
        cls,
        media: MediaServer,
        speech: SpeechService | RemoteSpeech,
        leg_id: str,
        *,
        role: Role,
        lang: str,
        menu: str | None = None,
        on_transcript: OnTranscript,
        on_emotion: OnEmotion | None = None,
    ) -> LegListener:
        self = cls(media, speech, leg_id, role, lang, on_transcript, on_emotion)
        self.session = self._open_session(menu)
        try:
            self.media_leg = await media.allocate(leg_id, self.feed)
        except Exception:
            await self.session.close()
            raise
        return self

    @property
    def external_host(self) -> str:
        assert self.media_leg is not None
        return self.media_leg.external_host

    def feed(self, pcm: bytes) -> None:
        """A frame from the media server (event loop)."""
        self._last_audio, self._filled = self._loop.time(), 0.0
        if self._gap is None and self.media_leg is not None:
            self._gap = self._loop.call_later(GAP, self._on_gap)
        self._push(pcm)

    def _push(self, pcm: bytes) -> None:
        if self.session is None:
            self._held.append(pcm)  # between two sessions (switch): kept (capped), then fed
            return
        if self.clock is None:
            self.clock = time.time() - _FRAME
        self.session.feed(pcm)

    def _on_gap(self) -> None:
        self._gap = None
        if self.media_leg is None:
            return
        idle = self._loop.time() - self._last_audio
        if idle < GAP:  # audio came meanwhile: look again when the gap could be complete
            self._gap = self._loop.call_later(GAP - idle, self._on_gap)
            return
        frames = int((min(idle, FILL) - self._filled) / _FRAME)
        for _ in range(max(0, frames)):
            self._push(_SILENCE)
        self._filled += max(0, frames) * _FRAME
        if self._filled < FILL - _FRAME / 2:
            self._gap = self._loop.call_later(0.1, self._on_gap)

    async def switch(self, menu: str | None) -> None:
        """Change mode on the same audio: another menu's grammar, or free-form (None)."""
        old, self.session = self.session, None
        if old is not None:
            await old.close()
        self.session = self._open_session(menu)
        held, self._held = self._held, collections.deque(maxlen=HELD_MAX)
        self.clock = time.time() - _FRAME * len(held) if held else None
        for pcm in held:
            self._push(pcm)

    async def stop(self) -> None:
        if self._gap is not None:
            self._gap.cancel()
            self._gap = None
        if self.media_leg is not None:
            self.media_leg = None  # (no gap timer from the frames flushed below)
            await self.media.release(self.leg_id)  # flushes held frames into the session
        if self.session is not None:
            await self.session.close()
            self.session = None

    def _open_session(self, menu: str | None) -> Session | RemoteSession:
        return self.speech.open(
            self.leg_id,
            lang=self.lang,
            role=self.role,
            menu=menu,
            on_result=self._results,
            emotion=self.emotion is not None,
        )

    def _results(self, results: list[Transcript]) -> None:
        for transcript in results:
            self._on_transcript(transcript)  # (an "analysis" completes the final before it)
            if self.emotion is None or transcript.kind == "partial" or transcript.analysis is None:
                continue
            score, event = self.emotion.observe(transcript.analysis, at=transcript.end)
            if self._on_emotion is not None:
                self._on_emotion(transcript, score, event)

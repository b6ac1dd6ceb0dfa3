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
"""

from __future__ import annotations

from collections.abc import Callable

from engine.media.server import MediaLeg, MediaServer
from engine.speech.emotion.score import CallEmotion, EmotionEvent, EmotionScore
from engine.speech.results import Role, Transcript
from engine.speech.service import SpeechService
from engine.speech.session import Session

OnTranscript = Callable[[Transcript], None]
OnEmotion = Callable[[Transcript, EmotionScore, EmotionEvent | None], None]


class LegListener:
    def __init__(self, media: MediaServer, speech: SpeechService, leg_id: str, role: Role,
                 lang: str, on_transcript: OnTranscript, on_emotion: OnEmotion | None) -> None:
        self.media, self.speech = media, speech
        self.leg_id, self.role, self.lang = leg_id, role, lang
        self.emotion = CallEmotion(leg_id) if role == "caller" else None
        self.media_leg: MediaLeg | None = None
        self.session: Session | None = None
        self._on_transcript, self._on_emotion = on_transcript, on_emotion
        self._held: list[bytes] = []

    @classmethod
    async def open(cls, media: MediaServer, speech: SpeechService, leg_id: str, *,
                   role: Role, lang: str, menu: str | None = None,
                   on_transcript: OnTranscript, on_emotion: OnEmotion | None = None,
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
        if self.session is None:
            self._held.append(pcm)  # between two sessions (switch): kept, then fed
        else:
            self.session.feed(pcm)

    async def switch(self, menu: str | None) -> None:
        """Change mode on the same audio: another menu's grammar, or free-form (None)."""
        old, self.session = self.session, None
        if old is not None:
            await old.close()
        self.session = self._open_session(menu)
        held, self._held = self._held, []
        for pcm in held:
            self.session.feed(pcm)

    async def stop(self) -> None:
        if self.media_leg is not None:
            await self.media.release(self.leg_id)  # flushes held frames into the session
            self.media_leg = None
        if self.session is not None:
            await self.session.close()
            self.session = None

    def _open_session(self, menu: str | None) -> Session:
        return self.speech.open(self.leg_id, lang=self.lang, role=self.role, menu=menu,
                                on_result=self._results, emotion=self.emotion is not None)

    def _results(self, results: list[Transcript]) -> None:
        for transcript in results:
            self._on_transcript(transcript)
            if self.emotion is None or transcript.kind != "final" or transcript.analysis is None:
                continue
            score, event = self.emotion.observe(transcript.analysis, at=transcript.end)
            if self._on_emotion is not None:
                self._on_emotion(transcript, score, event)

"""Speech: models, recognition off the event loop, speech menus, transcripts, emotion.

Entry points for the composition root and the call path:
- ``recognition_models.check_models(settings)`` at start-up (a ``ModelStore`` or a clear
  error);
- ``service.SpeechService`` to open a recognition session per call leg;
- ``emotion.score.CallEmotion`` per caller leg for scores and sharp-rise events (the
  optional transformers model: ``emotion.audio_classifier``);
- ``live.LiveSpeech`` for live calls: ARI taps (``taps``), the call path's ``Listening``
  adapter (``calls``), live transcripts out (``feed``, ``messages``), the ``transcripts``
  table (``schema``, queried by ``store``) and ``GET /calls/{id}/transcript`` (``http``).
"""

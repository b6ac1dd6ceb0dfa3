"""The Asterisk REST Interface adapter.

Entry points: ``client.AriClient`` (every request, listed in ``operations``),
``event_stream.AriEventStream`` (the event WebSocket, reconnected and resynced) and
``errors`` (``AriNotFound``, ``AriConflict``, ``AriUnavailable``: HTTP renders the last
as a 503).
"""

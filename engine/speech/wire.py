"""The engine <-> recognizer-process protocol: length-prefixed frames on a socket pair.

A frame is ``!IBI`` (body length, kind, session id) then the body. ``AUDIO`` frames carry
raw 16 kHz int16 PCM for one session (the hot path: no encoding); ``MESSAGE`` frames carry
a pickled tuple whose first item names it. The peer is always this engine's own child
process (a private socket pair), so pickle is safe here.

engine -> worker: ``("init", settings, menus, calibrate)``, ``("open", sid, leg, lang,
role, menu, emotion)``, AUDIO(sid), ``("close", sid)``, ``("menus", menus)``, ``("stop",)``.
worker -> engine: ``("ready", info)``, ``("error", text)``, ``("results", sid, [...])``,
``("failed", sid, text)``, ``("closed", sid)``, ``("stats", dict)``.
"""

from __future__ import annotations

import asyncio
import pickle
import struct
from typing import Any

HEADER = struct.Struct("!IBI")
MESSAGE, AUDIO = 0, 1
MAX_BODY = 64 << 20  # a frame larger than this is a broken peer


def message(*items: Any) -> bytes:
    body = pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(body), MESSAGE, 0) + body


def audio(sid: int, pcm: bytes) -> bytes:
    return HEADER.pack(len(pcm), AUDIO, sid) + pcm


async def read(reader: asyncio.StreamReader) -> tuple[int, int, Any]:
    """(kind, sid, body): the tuple of a MESSAGE, the bytes of AUDIO. Raises
    ``asyncio.IncompleteReadError`` at end of stream."""
    size, kind, sid = HEADER.unpack(await reader.readexactly(HEADER.size))
    if size > MAX_BODY:
        raise ValueError(f"speech wire: frame of {size} bytes")
    body = await reader.readexactly(size)
    return kind, sid, (pickle.loads(body) if kind == MESSAGE else body)

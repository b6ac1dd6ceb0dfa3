"""HTTP route for transcripts: ``GET /calls/{id}/transcript`` (bearer token, like all)."""

from __future__ import annotations

from aiohttp import web

from engine.api.http import json_response
from engine.calls.http import CALL_RECORDS
from engine.errors import NotFound
from engine.speech.store import TranscriptStore

TRANSCRIPTS = web.AppKey("transcripts", TranscriptStore)
routes = web.RouteTableDef()


@routes.get("/calls/{call_id}/transcript")
async def transcript(request: web.Request) -> web.Response:
    """The call's final results, both legs in the order they were said."""
    call_id = request.match_info["call_id"]
    segments = await request.app[TRANSCRIPTS].for_call(call_id)
    if not segments and await request.app[CALL_RECORDS].get(call_id) is None:
        raise NotFound("no such call", call_id=call_id)
    return json_response({"call_id": call_id, "segments": segments})

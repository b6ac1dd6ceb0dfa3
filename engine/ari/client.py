"""A thin asyncio ARI REST client on aiohttp.

One ``aiohttp.ClientSession`` with keep-alive connections; JSON in and out with
orjson; non-2xx answers become ``AriError`` subclasses (``engine/ari/errors.py``);
connection failures become ``AriUnavailable``.
"""

from __future__ import annotations

import base64
import contextlib
from collections import Counter
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import orjson
from yarl import URL

from engine.ari.errors import AriUnavailable, error_for
from engine.ari.operations import OPERATIONS

# The bridges the engine makes for calls: mixing, and never native RTP forwarding
# (``proxy_media``). In a ``native_rtp`` bridge Asterisk passes one phone's packets to
# the other as they came (their timing, sequence numbers and SSRC), and a phone whose
# jitter buffer rejects them hears nothing for the whole call. Through the core
# (``simple_bridge``) every frame is decoded, re-timed and re-packetised by Asterisk's
# own RTP stack, and codecs are translated (a G.722 phone with a G.711 trunk).
MIXING = "mixing,proxy_media"

Json = dict[str, Any]
# Seconds an idle connection is kept for the next request: less than Asterisk keeps it
# (``session_keep_alive``, 15 s in asterisk-config/http.conf), so a request is never sent
# on a connection Asterisk is closing at that moment (the call would see it fail)
KEEPALIVE = 10.0


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _params(values: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, list | tuple):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out


class AriClient:
    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
        max_connections: int = 64,
        pool_timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.user = user
        self.password = password
        self._headers = {"Authorization": basic_auth(user, password)}
        self._own_session = session is None
        self._session = session
        # more than ``max_connections`` requests at once queue for a connection, at most
        # ``pool_timeout`` seconds (then ``AriUnavailable``), never an immediate failure
        self._max_connections = max_connections
        self._timeout = aiohttp.ClientTimeout(total=timeout + pool_timeout, connect=pool_timeout)
        # requests sent, per operation (``/status`` ``ari.requests``): what the engine asks
        # of Asterisk per call, compared between modes by benchmarks/inbound_calls.py
        self.requests: Counter[str] = Counter()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, keepalive_timeout=KEEPALIVE
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers=self._headers,
                timeout=self._timeout,
                json_serialize=lambda o: orjson.dumps(o).decode(),
            )
        return self._session

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, operation: str, *, body: Json | None = None, **params: Any) -> Any:
        """Run a named operation; path parameters are taken from ``params`` by name."""
        method, template = OPERATIONS[operation]
        self.requests[operation] += 1
        path_args = {
            k: quote(str(params.pop(k)), safe="") for k in list(params) if "{" + k + "}" in template
        }
        path = template.format(**path_args)
        query = urlencode(_params(params))
        # A pre-encoded URL spares yarl from parsing and quoting on every request.
        url = URL(f"{self.base_url}{path}?{query}" if query else self.base_url + path, encoded=True)
        try:
            async with self.session.request(method, url, json=body) as resp:
                raw = await resp.read()
                if resp.status >= 300:
                    message = raw.decode(errors="replace")
                    with contextlib.suppress(orjson.JSONDecodeError, AttributeError):
                        message = orjson.loads(raw).get("message", message)
                    raise error_for(resp.status, message, method, path)
                return orjson.loads(raw) if raw else None
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise AriUnavailable(0, f"{type(exc).__name__}: {exc}", method, path) from exc

    # -- conveniences used by the call path ---------------------------------
    async def answer(self, channel_id: str) -> None:
        await self.call("answer", channelId=channel_id)

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        await self.call("hangup", channelId=channel_id, reason=reason)

    async def play(
        self, channel_id: str, playback_id: str, media: list[str], lang: str | None = None
    ) -> None:
        await self.call(
            "play", channelId=channel_id, playbackId=playback_id, media=media, lang=lang
        )

    async def stop_playback(self, playback_id: str) -> None:
        await self.call("stop_playback", playbackId=playback_id)

    async def originate(self, endpoint: str, **params: Any) -> Json:
        variables = params.pop("variables", None)
        body = {"variables": variables} if variables else None
        result: Json = await self.call("originate", endpoint=endpoint, body=body, **params)
        return result

    async def create_bridge(self, bridge_id: str, kind: str = MIXING, name: str = "") -> Json:
        result: Json = await self.call(
            "create_bridge", bridgeId=bridge_id, type=kind, name=name or None
        )
        return result

    async def add_channel(self, bridge_id: str, channels: list[str]) -> None:
        await self.call("add_channel", bridgeId=bridge_id, channel=channels)

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self.call("destroy_bridge", bridgeId=bridge_id)

    async def channels(self) -> list[Json]:
        result: list[Json] = await self.call("list_channels")
        return result

    async def bridges(self) -> list[Json]:
        result: list[Json] = await self.call("list_bridges")
        return result

    async def set_global(self, name: str, value: str) -> None:
        await self.call("set_global", variable=name, value=value)

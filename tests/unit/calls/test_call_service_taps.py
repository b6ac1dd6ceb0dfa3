"""A failing event tap is logged; the next taps still run and the event loop goes on.

(The log call passed ``event=`` to structlog, whose first argument is ``event``: the
failure of one tap raised a TypeError out of ``on_event``.)
"""

from __future__ import annotations

from typing import Any

from engine.calls.service import CallService


class _Router:
    def set_offer_callback(self, callback: Any) -> None:
        pass


def test_a_failing_tap_is_logged_and_the_next_tap_still_runs(capsys):
    nothing: Any = None  # the inbound path never runs for this event
    service = CallService(nothing, "engine", lambda: nothing, _Router(), nothing, nothing)
    seen: list[str] = []

    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("tap bug")

    service.taps += [broken, lambda event: seen.append(event["type"])]
    service.on_event({"type": "ChannelVarset"})
    assert seen == ["ChannelVarset"]
    logged = capsys.readouterr()
    assert "ari.tap_failed" in logged.out + logged.err

"""The agent's screen channel is spelled once (engine/keys.py) for every domain using it."""

from __future__ import annotations

from engine.calls.desk import AgentDesk
from engine.keys import agent_channel


def test_the_desk_publishes_on_the_shared_agent_channel():
    assert agent_channel("tenure", "1001") == "tenure:agent:1001"
    desk = AgentDesk(None, "tenure")  # type: ignore[arg-type]
    assert desk.channel("1001") == agent_channel("tenure", "1001")

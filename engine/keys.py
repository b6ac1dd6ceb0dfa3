"""Redis names that more than one domain uses, in one place.

A domain's own keys live in its ``keys.py`` (routing's state: ``engine/routing/keys.py``);
a name several domains publish on or read lives here, so that no module spells it by hand.
"""

from __future__ import annotations


def agent_channel(prefix: str, agent_id: str) -> str:
    """Pub/sub channel of an agent's screen: the call card (``calls/desk.py``), live speech
    hints (``speech/feed.py``) and the screen pop (``profiles/retention/screen_feed.py``)."""
    return f"{prefix}:agent:{agent_id}"


def wallboard_history(prefix: str) -> str:
    """Hash of the wallboard's last hour, one sample per ring slot (``web/history.py``),
    shared by every engine on the prefix."""
    return f"{prefix}:wallboard:history"

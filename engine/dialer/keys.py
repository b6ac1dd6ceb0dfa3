"""Every Redis key the dialer writes (its agents and waiting calls are routing's:
``engine/routing/keys.py``)."""

from __future__ import annotations


def dial_claim(prefix: str, number: str) -> str:
    """String with a TTL: the engine and line dialling ``number`` now (``campaigns/claims.py``)."""
    return f"{prefix}:dial:{number}"


def campaign_lease(prefix: str, campaign_id: int) -> str:
    """String with a TTL: the instance_id of the engine running the campaign."""
    return f"{prefix}:campaign:{campaign_id}"


def campaign_controls(prefix: str) -> str:
    """Pub/sub: a campaign's new status, set on any engine, for the engine running it
    (JSON ``{"campaign": id, "status": ..., "by": instance_id}``)."""
    return f"{prefix}:campaign-controls"

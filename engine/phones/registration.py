"""Agent phones' registration from Asterisk's events. Pure: an AMI event in, which
phone and whether it can take calls out.

- ``DeviceStateChange`` (and ``DeviceStateList`` at start): ``PJSIP/1001`` with state
  UNAVAILABLE, INVALID or UNKNOWN has no registered contact;
- ``ContactStatus``: a contact of AOR ``1001`` Created, Reachable or Updated is there;
  Removed or Unreachable is gone (it arrives before the device state).

Local channels (simulated agents) have no device: they are always reachable.
"""

from __future__ import annotations

from collections.abc import Mapping

UNREGISTERED = frozenset({"UNAVAILABLE", "INVALID", "UNKNOWN"})
CONTACT_UP = frozenset({"CREATED", "REACHABLE", "UPDATED"})
CONTACT_DOWN = frozenset({"REMOVED", "UNREACHABLE"})
PHONE_TECHS = frozenset({"PJSIP", "SIP", "IAX2"})


def device_of(endpoint: str) -> str | None:
    """The device name of a dial string ("PJSIP/1001" -> "PJSIP/1001"); None for Local
    channels and anything else without a device state of its own."""
    tech, sep, rest = endpoint.partition("/")
    if not sep or not rest or tech.upper() not in PHONE_TECHS:
        return None
    return f"{tech.upper()}/{rest.split('@', 1)[0]}"


def registered_from(event: Mapping[str, str]) -> tuple[str, bool] | None:
    """(device, registered) that ``event`` tells, or None when it tells nothing about a
    phone (another event, a Local channel, a queue's custom state...)."""
    kind = event.get("Event", "")
    if kind == "DeviceStateChange":
        device = device_of(str(event.get("Device", "")))
        if device is None:
            return None
        return device, str(event.get("State", "")).upper() not in UNREGISTERED
    if kind == "ContactStatus":
        status = str(event.get("ContactStatus", "")).upper()
        aor = str(event.get("AOR", ""))
        if not aor or status not in CONTACT_UP | CONTACT_DOWN:
            return None
        return f"PJSIP/{aor}", status in CONTACT_UP
    return None


def offerable(state: str, registered: bool) -> bool:
    """An agent is offered calls when available and its phone is not known unregistered."""
    return state == "available" and registered

"""The second box's agent phone (tests/boxes.py ``Phone``) takes its ports from the box's
own range, never from the ephemeral range (32768-60999) where another process may hold
them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from engine import settings as settings_mod
from tests.boxes import Phone, second_box_settings

EPHEMERAL = 32768

# box B in CI, and the helpers' second boxes 7 and 8 (their TENURE_B_* media ranges)
PLACEMENTS = [
    {},
    {"media_port_start": 19500, "media_port_end": 19999},
    {"media_port_start": 17500, "media_port_end": 17999},
]


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_phone_ports_are_in_the_box_media_range(tmp_path: Path, placement: dict[str, int]) -> None:
    box = dataclasses.replace(second_box_settings(settings_mod.load(None, environ={})), **placement)
    phone = Phone(tmp_path, "1001", box)
    ports = [phone.sip_port, phone.sip_port + 1, phone.ctrl_port, *range(*phone.rtp)]
    box_range = range(box.media_port_start, box.media_port_end + 1)
    assert all(p in box_range and p < EPHEMERAL for p in ports), (ports, box_range)
    assert len(set(ports)) == len(ports)

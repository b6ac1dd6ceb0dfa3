"""RTP parsing and slin16 byte order (issue 6)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from engine.media import rtp


def test_parses_an_externalmedia_slin16_packet():
    samples = np.arange(-160, 160, dtype=">i2")
    packet = rtp.parse(rtp.build(65535, 123456, 0xDEADBEEF, samples.tobytes(), marker=True))
    assert (packet.sequence, packet.timestamp, packet.ssrc) == (65535, 123456, 0xDEADBEEF)
    assert packet.payload_type == 118 and packet.marker
    native = np.frombuffer(rtp.slin_to_native(packet.payload), dtype=np.int16)
    assert native.tolist() == list(range(-160, 160))


def test_round_trip_native_and_network_order():
    pcm = np.array([1, -2, 32767, -32768], dtype=np.int16).tobytes()
    assert rtp.slin_to_native(rtp.native_to_slin(pcm)) == pcm
    assert rtp.native_to_slin(pcm)[:2] == b"\x00\x01"


def test_skips_csrc_extension_and_padding():
    payload = b"\x00\x01\x00\x02"
    header = struct.pack("!BBHII", 0x80 | 0x20 | 0x10 | 2, 118, 7, 0, 1)
    csrcs = struct.pack("!II", 11, 12)
    extension = struct.pack("!HH", 0xBEDE, 1) + b"\x00" * 4
    padding = b"\x00\x00\x03"
    packet = rtp.parse(header + csrcs + extension + payload + padding)
    assert packet.payload == payload and packet.sequence == 7


@pytest.mark.parametrize(
    "datagram, reason",
    [
        (b"\x80\x76", "shorter"),
        (struct.pack("!BBHII", 0x40, 118, 1, 0, 1) + b"xx", "version"),
        (struct.pack("!BBHII", 0xA0, 118, 1, 0, 1) + b"\x00\x09", "padding"),
        (struct.pack("!BBHII", 0x8F, 118, 1, 0, 1), "header longer"),
        (struct.pack("!BBHII", 0x90, 118, 1, 0, 1) + b"\x00", "extension"),
    ],
)
def test_malformed_datagrams_are_refused(datagram, reason):
    with pytest.raises(rtp.RtpError, match=reason):
        rtp.parse(datagram)


@pytest.mark.parametrize(
    "a, b, delta",
    [(5, 3, 2), (3, 5, -2), (0, 65535, 1), (65535, 0, -1), (100, 100, 0), (32767, 0, 32767)],
)
def test_sequence_distance_wraps(a, b, delta):
    assert rtp.seq_delta(a, b) == delta

"""RTP packets (RFC 3550) from Asterisk's externalMedia: parsing and slin16 samples.

Pure functions: bytes in, a ``RtpPacket`` or native-endian PCM out. externalMedia with
format ``slin16`` sends 20 ms packets: a 12-byte header and 640 bytes of big-endian
16-bit samples at 16 kHz.
"""

from __future__ import annotations

import struct
import sys
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16000
FRAME_MS = 20
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000  # 320
FRAME_BYTES = FRAME_SAMPLES * 2  # 640
_HEADER = struct.Struct("!BBHII")


class RtpError(ValueError):
    """A datagram that is not a well-formed RTP packet."""


@dataclass(frozen=True, slots=True)
class RtpPacket:
    sequence: int
    timestamp: int
    ssrc: int
    payload_type: int
    marker: bool
    payload: bytes


def parse(datagram: bytes) -> RtpPacket:
    """Parse one RTP datagram; CSRC lists, header extensions and padding are skipped."""
    if len(datagram) < _HEADER.size:
        raise RtpError(f"datagram of {len(datagram)} bytes is shorter than an RTP header")
    first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(datagram)
    if first >> 6 != 2:
        raise RtpError(f"RTP version {first >> 6}, expected 2")
    offset = _HEADER.size + 4 * (first & 0x0F)
    end = len(datagram)
    if first & 0x10:  # header extension: 16-bit profile, 16-bit length in 32-bit words
        if end < offset + 4:
            raise RtpError("truncated header extension")
        (words,) = struct.unpack_from("!H", datagram, offset + 2)
        offset += 4 + 4 * words
    if first & 0x20:  # padding: the last byte counts the padding bytes
        pad = datagram[-1]
        if pad == 0 or pad > end - offset:
            raise RtpError(f"bad padding length {pad}")
        end -= pad
    if offset > end:
        raise RtpError("header longer than the datagram")
    return RtpPacket(
        sequence=sequence,
        timestamp=timestamp,
        ssrc=ssrc,
        payload_type=second & 0x7F,
        marker=bool(second & 0x80),
        payload=datagram[offset:end],
    )


def build(
    sequence: int,
    timestamp: int,
    ssrc: int,
    payload: bytes,
    payload_type: int = 118,
    marker: bool = False,
) -> bytes:
    """A minimal RTP packet (tests, benchmarks and simulated senders)."""
    return (
        _HEADER.pack(
            0x80,
            (0x80 if marker else 0) | payload_type,
            sequence & 0xFFFF,
            timestamp & 0xFFFFFFFF,
            ssrc & 0xFFFFFFFF,
        )
        + payload
    )


def slin_to_native(payload: bytes) -> bytes:
    """Big-endian 16-bit samples (network order) -> this machine's int16 byte order."""
    if len(payload) % 2:
        payload = payload[:-1]
    if sys.byteorder == "big":
        return payload
    return np.frombuffer(payload, dtype=">i2").astype("<i2").tobytes()


def native_to_slin(pcm: bytes) -> bytes:
    """This machine's int16 samples -> big-endian, as RTP slin carries them."""
    if sys.byteorder == "big":
        return pcm
    return np.frombuffer(pcm, dtype="<i2").astype(">i2").tobytes()


def seq_delta(a: int, b: int) -> int:
    """Signed distance from sequence number ``b`` to ``a`` modulo 2**16 (a - b)."""
    return (a - b + 0x8000) % 0x10000 - 0x8000

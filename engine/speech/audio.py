"""Audio files for the offline tools: WAV of any rate and common encoding -> 16 kHz int16.

Reads RIFF/WAVE with PCM (8/16/24/32-bit), IEEE float, G.711 mu-law or A-law (what
telephone recordings use), mixes channels to mono and resamples with a windowed-sinc
interpolator in numpy (no audioop, no scipy). Files are read in blocks (``read_blocks``,
``blocks_16k``) so that a long recording never sits whole in memory; a cut or broken
header is an ``AudioError`` naming the file.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 16000
_PCM, _FLOAT, _ALAW, _ULAW, _EXTENSIBLE = 1, 3, 6, 7, 0xFFFE


class AudioError(ValueError):
    pass


def _ulaw(data: np.ndarray) -> np.ndarray:
    u = ~data.astype(np.int32) & 0xFF
    magnitude = ((((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 0x07)) - 0x84
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.float64) / 32768.0


def _alaw(data: np.ndarray) -> np.ndarray:
    a = data.astype(np.int32) ^ 0x55
    seg, mant = (a >> 4) & 0x07, a & 0x0F
    magnitude = np.where(seg == 0, (mant << 4) + 8, ((mant << 4) + 0x108) << np.maximum(seg - 1, 0))
    return np.where(a & 0x80, magnitude, -magnitude).astype(np.float64) / 32768.0


def _decode(fmt: int, bits: int, raw: bytes) -> np.ndarray:
    if fmt == _PCM and bits == 8:
        return (np.frombuffer(raw, np.uint8).astype(np.float64) - 128.0) / 128.0
    if fmt == _PCM and bits in (16, 32):
        dtype = np.dtype(f"<i{bits // 8}")
        return np.frombuffer(raw, dtype).astype(np.float64) / float(2 ** (bits - 1))
    if fmt == _PCM and bits == 24:
        b = np.frombuffer(raw[: len(raw) // 3 * 3], np.uint8).reshape(-1, 3).astype(np.int32)
        value = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        return np.where(value & 0x800000, value - (1 << 24), value) / float(1 << 23)
    if fmt == _FLOAT and bits in (32, 64):
        return np.frombuffer(raw, np.dtype(f"<f{bits // 8}")).astype(np.float64)
    if fmt in (_ULAW, _ALAW) and bits == 8:
        return (_ulaw if fmt == _ULAW else _alaw)(np.frombuffer(raw, np.uint8))
    raise AudioError(f"unsupported WAV encoding (format {fmt}, {bits} bits)")


@dataclass(frozen=True)
class WavInfo:
    fmt: int
    channels: int
    rate: int
    bits: int
    data_at: int  # offset of the first sample
    data_bytes: int  # what the file really holds (a cut file: less than the header says)


def wav_info(path: str | Path) -> WavInfo:
    """The format and where the samples are, from the header only; every defect is an
    ``AudioError`` naming the file (no ``struct.error``)."""
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise AudioError(f"{path}: not a RIFF/WAVE file")
        size = os.fstat(fh.fileno()).st_size
        fmt = None
        pos = 12
        while pos + 8 <= size:
            fh.seek(pos)
            chunk, length = fh.read(4), struct.unpack("<I", fh.read(4))[0]
            if chunk == b"fmt ":
                body = fh.read(min(length, 40))
                if len(body) < 16:
                    raise AudioError(f"{path}: WAV cut inside its header (fmt chunk)")
                fmt = struct.unpack_from("<HHIIHH", body)
                if fmt[0] == _EXTENSIBLE and len(body) >= 26:
                    fmt = (struct.unpack_from("<H", body, 24)[0], *fmt[1:])
            elif chunk == b"data":
                if fmt is None:
                    raise AudioError(f"{path}: WAV data before its fmt chunk")
                code, channels, rate, _, _, bits = fmt
                if not channels or not rate or not bits:
                    raise AudioError(f"{path}: WAV with {channels} channels at {rate} Hz")
                return WavInfo(code, channels, rate, bits, pos + 8, min(length, size - pos - 8))
            pos += 8 + length + (length & 1)
    raise AudioError(f"{path}: WAV without fmt or data chunk (cut short?)")


def read_blocks(path: str | Path, seconds: float = 30.0) -> Iterator[tuple[np.ndarray, int]]:
    """Mono float samples in blocks of about ``seconds`` and the file's rate: memory
    stays bounded whatever the length of the file."""
    info = wav_info(path)
    frame = info.channels * max(1, info.bits // 8)
    step = max(1, int(seconds * info.rate)) * frame
    with open(path, "rb") as fh:
        fh.seek(info.data_at)
        left = info.data_bytes // frame * frame
        while left > 0:
            raw = fh.read(min(step, left))
            if not raw:
                break
            left -= len(raw)
            samples = _decode(info.fmt, info.bits, raw[: len(raw) // frame * frame])
            yield samples.reshape(-1, info.channels).mean(axis=1), info.rate


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Mono float samples in [-1, 1] and the file's sample rate."""
    blocks = list(read_blocks(path))
    if not blocks:
        return np.zeros(0), wav_info(path).rate
    return np.concatenate([b for b, _ in blocks]), blocks[0][1]


def resample(x: np.ndarray, src: int, dst: int, taps: int = 16) -> np.ndarray:
    """Windowed-sinc (Hann) interpolation; low-passes below the lower Nyquist rate."""
    if src == dst or len(x) == 0:
        return x.astype(np.float64)
    cutoff = min(1.0, dst / src)
    out_len = int(len(x) * dst // src)
    padded = np.concatenate([np.zeros(taps), x, np.zeros(taps + 1)])
    k = np.arange(-taps + 1, taps + 1)
    out = np.empty(out_len)
    for start in range(0, out_len, 8192):  # bounded memory for long files
        t = np.arange(start, min(out_len, start + 8192)) * (src / dst)
        base = np.floor(t).astype(np.int64)
        offsets = base[:, None] + k[None, :]
        dist = t[:, None] - offsets
        window = 0.5 + 0.5 * np.cos(np.pi * np.clip(dist / (taps * max(1.0, 1 / cutoff)), -1, 1))
        weights = cutoff * np.sinc(cutoff * dist) * window
        out[start : start + len(t)] = (padded[offsets + taps] * weights).sum(axis=1)
    return out


def to_pcm16(x: np.ndarray) -> bytes:
    return (np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def from_pcm16(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0


def load_16k(path: str | Path) -> np.ndarray:
    """Any supported WAV -> mono float samples at 16 kHz."""
    samples, rate = read_wav(path)
    return resample(samples, rate, RATE)


def blocks_16k(path: str | Path, seconds: float = 30.0) -> Iterator[np.ndarray]:
    """Any supported WAV -> 16 kHz mono blocks of about ``seconds`` (bounded memory)."""
    for samples, rate in read_blocks(path, seconds):
        yield resample(samples, rate, RATE)

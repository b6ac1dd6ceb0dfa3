"""Prosody of one utterance from its audio: loudness, pitch level and spread, speaking rate.

Pure numpy on 16 kHz float samples in [-1, 1]:
- loudness: RMS level in dBFS over the active (non-silent) 10 ms frames;
- pitch: a YIN-style estimate (cumulative-mean-normalised difference function, computed
  through an FFT autocorrelation) on 40 ms windows every 10 ms, 70-400 Hz; level is the
  median over voiced frames and spread their standard deviation, both in semitones
  (re 100 Hz) so that a change means the same for low and high voices;
- speaking rate: syllable nuclei per second of active speech, nuclei being peaks of the
  smoothed intensity that stand at least 2 dB above the dips around them (after de Jong
  and Wempe's method) within the active frames.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

RATE, HOP, WINDOW = 16000, 160, 640
F0_MIN, F0_MAX = 60.0, 400.0


@dataclass(frozen=True)
class Prosody:
    loudness_db: float
    pitch_st: float  # nan when nothing was voiced
    pitch_var_st: float
    rate: float  # syllable nuclei per second of active speech
    active_s: float
    voiced_ratio: float

    def as_dict(self) -> dict[str, float | None]:
        return {
            k: (None if isinstance(v, float) and math.isnan(v) else round(v, 3))
            for k, v in asdict(self).items()
        }


def _frames(x: np.ndarray, size: int, hop: int) -> np.ndarray:
    count = max(0, 1 + (len(x) - size) // hop)
    idx = np.arange(size)[None, :] + hop * np.arange(count)[:, None]
    return x[idx] if count else np.zeros((0, size))


def frame_levels(x: np.ndarray) -> np.ndarray:
    """dBFS of each 10 ms hop (25 ms window)."""
    frames = _frames(x, 400, HOP)
    return 10 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)


def pitch_track(x: np.ndarray, threshold: float = 0.3) -> np.ndarray:
    """F0 in Hz per 10 ms hop; nan where unvoiced."""
    tau_min, tau_max = int(RATE / F0_MAX), int(RATE / F0_MIN)
    frames = _frames(x, WINDOW + tau_max, HOP)
    if not len(frames):
        return np.zeros(0)
    nfft = 1 << math.ceil(math.log2(WINDOW + 2 * tau_max))
    spec = np.fft.rfft(frames, nfft) * np.conj(np.fft.rfft(frames[:, :WINDOW], nfft))
    r = np.fft.irfft(spec, nfft)[:, : tau_max + 1]
    sq = np.cumsum(np.pad(frames * frames, ((0, 0), (1, 0))), axis=1)
    energy_tau = sq[:, WINDOW : WINDOW + tau_max + 1] - sq[:, : tau_max + 1]
    d = np.maximum(sq[:, WINDOW : WINDOW + 1] + energy_tau - 2 * r, 0.0)
    taus = np.arange(tau_max + 1)
    cmnd = np.ones_like(d)
    cmnd[:, 1:] = d[:, 1:] * taus[1:] / np.maximum(np.cumsum(d[:, 1:], axis=1), 1e-12)
    seg = cmnd[:, tau_min:]
    below = seg < threshold
    first = below.argmax(axis=1)
    cols = np.arange(seg.shape[1])[None, :]
    rising = np.pad(seg[:, 1:] >= seg[:, :-1], ((0, 0), (0, 1)), constant_values=True)
    t = (rising & (cols >= first[:, None])).argmax(axis=1)  # walk down to the local minimum
    rows = np.arange(len(seg))
    tau = (t + tau_min).astype(np.float64)
    inner = (tau > tau_min) & (tau < tau_max)
    ti = np.clip(t + tau_min, 1, tau_max - 1)
    a, b, c = cmnd[rows, ti - 1], cmnd[rows, ti], cmnd[rows, ti + 1]
    curve = a - 2 * b + c
    shift = np.divide(0.5 * (a - c), curve, out=np.zeros_like(curve), where=curve != 0)
    tau = np.where(inner, tau + np.clip(shift, -1, 1), tau)
    f0 = np.where(below.any(axis=1), RATE / tau, np.nan)
    return f0


def _nuclei(levels: np.ndarray, active: np.ndarray) -> int:
    env = np.convolve(levels, np.ones(5) / 5, mode="same")
    peaks = [
        i
        for i in range(1, len(env) - 1)
        if env[i] >= env[i - 1] and env[i] > env[i + 1] and active[i]
    ]
    count, last, dip = 0, None, math.inf
    for i in peaks:
        if last is not None:
            dip = float(env[last : i + 1].min())
        if last is None or (env[last] - dip >= 2.0 and env[i] - dip >= 2.0):
            count, last = count + 1, i
        elif env[i] > env[last]:
            last = i  # same syllable, a higher top
    return count


def prosody(x: np.ndarray) -> Prosody:
    levels = frame_levels(x)
    if not len(levels) or levels.max() < -60:
        return Prosody(-120.0, math.nan, math.nan, 0.0, 0.0, 0.0)
    active = levels > max(levels.max() - 30.0, -55.0)
    f0 = pitch_track(x)
    n = min(len(levels), len(f0))
    voiced_f0 = np.where(active[:n], f0[:n], np.nan)
    voiced = ~np.isnan(voiced_f0)
    semitones = 12 * np.log2(voiced_f0[voiced] / 100.0)
    power = np.mean(10 ** (levels[active] / 10))
    active_s = float(active.sum()) * HOP / RATE
    return Prosody(
        loudness_db=float(10 * np.log10(power)),
        pitch_st=float(np.median(semitones)) if len(semitones) >= 3 else math.nan,
        pitch_var_st=float(np.std(semitones)) if len(semitones) >= 3 else math.nan,
        rate=_nuclei(levels, active) / active_s if active_s else 0.0,
        active_s=active_s,
        voiced_ratio=float(voiced.sum() / max(1, active[:n].sum())),
    )

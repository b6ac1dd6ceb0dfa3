"""Noise reduction for menu legs (issue 16): telephone speech at 16 kHz in, cleaner out.

The small Mandarin model hears almost nothing in 10 dB of noise. Before a menu leg's
audio reaches the recogniser, ``NoiseReducer`` applies the MMSE log-spectral-amplitude
gain (Ephraim and Malah, 1985) per frequency bin:

- the noise spectrum is tracked by minimum statistics: the minimum of the smoothed
  periodogram over the last ~1.5 s (8 sub-windows, so it follows a changing line without
  storing every frame), times a bias; speech pauses carry it, no voice detector needed;
- the a-priori SNR is decision-directed (``alpha`` of the last frame's clean estimate,
  the rest from this frame's a-posteriori SNR), which keeps "musical noise" down;
- the gain has a floor (``floor_db``, -15 dB: speech is never cut to nothing) and
  everything outside the telephone band (300-3400 Hz) is removed;
- digital silence (frames below ``silence_db``, e.g. the zero padding the offline tools
  add) passes unchanged and does not count as the line's noise.

Streaming and pure (numpy only): 32 ms frames, 16 ms hop, a Hann window for
analysis (they overlap-add to exactly one; no synthesis window): ``process`` returns
whole 16 ms blocks, the output sample ``i`` is the input sample ``i`` (no leading
zeros), ``DELAY`` samples later; ``flush`` returns the tail. About 5 ms of CPU per
second of audio (``benchmarks/intents.py`` prints the recogniser's total). Spectral
subtraction was tried before (issue 16) and made things worse: it removes a fixed noise
estimate, this gain follows the SNR of every bin.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

RATE = 16000
FRAME = 512  # 32 ms
HOP = FRAME // 2
DELAY = FRAME - HOP  # samples the output lags behind the input
FloatArray = npt.NDArray[np.float64]


def exp1(x: FloatArray) -> FloatArray:
    """The exponential integral E1(x) for x > 0 (Abramowitz and Stegun 5.1.53 up to 1,
    5.1.56 above; relative error below 5e-5 where the gain uses it)."""
    small = np.minimum(x, 1.0)
    near = (
        -0.57721566
        + small
        * (
            0.99999193
            + small
            * (-0.24991055 + small * (0.05519968 + small * (-0.00976004 + small * 0.00107857)))
        )
        - np.log(small)
    )
    big = np.maximum(x, 1.0)
    num = (
        big**4 + 8.5733287401 * big**3 + 18.0590169730 * big**2 + 8.6347608925 * big + 0.2677737343
    )
    den = (
        big**4 + 9.5733223454 * big**3 + 25.6329561486 * big**2 + 21.0996530827 * big + 3.9584969228
    )
    far = num / den * np.exp(-big) / big
    result: FloatArray = np.where(x <= 1.0, near, far)
    return result


def lsa_gain(xi: FloatArray, gamma: FloatArray) -> FloatArray:
    """The MMSE log-spectral-amplitude gain for a-priori SNR ``xi`` and a-posteriori SNR
    ``gamma`` (both linear)."""
    v = np.maximum(xi / (1.0 + xi) * gamma, 1e-8)
    gain: FloatArray = xi / (1.0 + xi) * np.exp(0.5 * exp1(v))
    return gain


class NoiseReducer:
    def __init__(
        self,
        rate: int = RATE,
        low: float = 300.0,
        high: float = 3400.0,
        floor_db: float = -15.0,
        alpha: float = 0.98,
        smooth: float = 0.8,
        window_s: float = 1.5,
        bias: float = 1.5,
        silence_db: float = -90.0,
    ) -> None:
        if rate != RATE:
            raise ValueError(f"NoiseReducer works at {RATE} Hz, not {rate}")
        freqs = np.fft.rfftfreq(FRAME, 1.0 / rate)
        self._band = (freqs >= low) & (freqs <= high)
        self._window = np.hanning(FRAME + 1)[:-1]  # periodic Hann: sums to one at 50%
        self._floor = 10.0 ** (floor_db / 20.0)
        self._alpha, self._smooth, self._bias = alpha, smooth, bias
        self._silence = 10.0 ** (silence_db / 10.0) * 32768.0**2
        hops = max(8, round(window_s * rate / HOP))
        self._sub_len = hops // 8
        self._subs: deque[FloatArray] = deque(maxlen=8)  # minima of finished sub-windows
        self._sub_min: FloatArray | None = None
        self._sub_count = 0
        self._power: FloatArray | None = None  # smoothed periodogram
        self._clean: FloatArray | None = None  # last frame's clean power estimate
        self._input = np.zeros(DELAY)
        self._output = np.zeros(FRAME)
        self._lead = DELAY  # output samples before the input's first: not returned

    def process(self, samples: npt.ArrayLike) -> FloatArray:
        """Enhanced audio for ``samples`` (16-bit scale, as the recogniser's PCM), whole
        hops only: what is left over waits for the next call."""
        self._input = np.concatenate([self._input, np.asarray(samples, dtype=np.float64)])
        blocks = []
        while len(self._input) >= FRAME:
            blocks.append(self._step(self._input[:FRAME]))
            self._input = self._input[HOP:]
        out = np.concatenate(blocks) if blocks else np.zeros(0)
        lead, self._lead = min(self._lead, len(out)), self._lead - min(self._lead, len(out))
        return out[lead:]

    def flush(self) -> FloatArray:
        """The audio still held (the last ``DELAY`` samples and any partial hop): all
        outputs together are exactly as long as all inputs, sample for sample."""
        held = len(self._input) - self._lead
        return self.process(np.zeros(FRAME))[:held] if held > 0 else np.zeros(0)

    def _step(self, frame: FloatArray) -> FloatArray:
        spectrum = np.fft.rfft(frame * self._window)
        periodogram = spectrum.real**2 + spectrum.imag**2
        if float(np.mean(frame * frame)) >= self._silence:
            spectrum = spectrum * self._gain(periodogram)
        else:  # digital silence: not the line's noise
            spectrum = spectrum * self._band
        self._output += np.fft.irfft(spectrum, FRAME)  # analysis window only
        done = self._output[:HOP].copy()
        self._output = np.concatenate([self._output[HOP:], np.zeros(HOP)])
        return done

    def _gain(self, periodogram: FloatArray) -> FloatArray:
        smooth = self._smooth
        if self._power is None:
            self._power = periodogram.copy()
        else:
            self._power = smooth * self._power + (1.0 - smooth) * periodogram
        self._track_minimum(self._power)
        noise = np.maximum(self._noise_floor() * self._bias, 1e-20)
        gamma = np.minimum(periodogram / noise, 1e4)
        if self._clean is None:
            xi = np.maximum(gamma - 1.0, 0.0)
        else:
            xi = self._alpha * self._clean / noise + (1.0 - self._alpha) * np.maximum(
                gamma - 1.0, 0.0
            )
        xi = np.maximum(xi, 10.0 ** (-25.0 / 10.0))
        gain = np.clip(lsa_gain(xi, gamma), self._floor, 1.0) * self._band
        self._clean = gain * gain * periodogram
        return gain

    def _track_minimum(self, power: FloatArray) -> None:
        self._sub_min = power.copy() if self._sub_min is None else np.minimum(self._sub_min, power)
        self._sub_count += 1
        if self._sub_count >= self._sub_len:
            self._subs.append(self._sub_min)
            self._sub_min, self._sub_count = None, 0

    def _noise_floor(self) -> FloatArray:
        floors = list(self._subs) + ([self._sub_min] if self._sub_min is not None else [])
        floor: FloatArray = np.min(floors, axis=0)
        return floor

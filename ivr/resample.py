"""Sample-rate conversion with numpy: FFT resampling with an anti-aliasing low-pass.

The whole signal is transformed once, every frequency at or above the lower of the
two Nyquist frequencies is removed (a raised-cosine roll-off just below it, so the
edge does not ring), and the kept spectrum is transformed back at the new length.
Removing those frequencies before the rate drops is what keeps, say, a 6 kHz hiss
from folding back to 2 kHz on an 8 kHz telephone line.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
# The roll-off starts this fraction below the new Nyquist frequency: 3.6 to 4 kHz on
# an 8 kHz line, above the 3.4 kHz a telephone channel carries anyway.
TRANSITION = 0.1
# Silence appended before the transform, so the filter's ringing at the end does not
# wrap around onto the start (the transform is circular).
PAD_SECONDS = 0.05


def resample(samples: npt.ArrayLike, rate_in: int, rate_out: int, transition: float = TRANSITION) -> FloatArray:
    """`samples` (mono) at `rate_in` Hz, as float samples at `rate_out` Hz, band-limited to avoid aliasing."""
    signal = np.asarray(samples, dtype=np.float64)
    if signal.ndim != 1:
        raise ValueError("resample takes mono samples (a one-dimensional array)")
    if rate_in <= 0 or rate_out <= 0:
        raise ValueError("sample rates must be positive")
    if rate_in == rate_out or signal.size == 0:
        return signal.copy()
    common = math.gcd(rate_in, rate_out)
    up, down = rate_out // common, rate_in // common
    length_out = (signal.size * up + down // 2) // down
    # Transform lengths in the exact ratio up:down, so input and output bins share one spacing.
    blocks = _smooth_at_least(math.ceil((signal.size + PAD_SECONDS * rate_in) / down))
    size_in, size_out = blocks * down, blocks * up
    spectrum = np.fft.rfft(signal, size_in)
    kept = min(spectrum.size, size_out // 2 + 1)
    frequencies = np.arange(kept) * (rate_in / size_in)
    out = np.zeros(size_out // 2 + 1, dtype=np.complex128)
    out[:kept] = spectrum[:kept] * low_pass(frequencies, min(rate_in, rate_out) / 2, transition)
    resampled = np.fft.irfft(out, size_out) * (size_out / size_in)
    return resampled[:length_out]


def low_pass(frequencies: FloatArray, nyquist: float, transition: float = TRANSITION) -> FloatArray:
    """Gain 1 below (1 - transition) * nyquist, a raised-cosine fall to 0 at nyquist, 0 above."""
    start = (1.0 - transition) * nyquist
    position = np.clip((frequencies - start) / (nyquist - start), 0.0, 1.0)
    return 0.5 * (1.0 + np.cos(np.pi * position))


def to_int16(samples: FloatArray) -> npt.NDArray[np.int16]:
    """Round to 16-bit PCM, clipping what the filter pushed past full scale."""
    return np.clip(np.rint(samples), -32768, 32767).astype("<i2")


def _smooth_at_least(count: int) -> int:
    """The smallest number >= count with no prime factor above 5: fast FFT lengths."""
    candidate = max(1, count)
    while True:
        rest = candidate
        for prime in (2, 3, 5):
            while rest % prime == 0:
                rest //= prime
        if rest == 1:
            return candidate
        candidate += 1

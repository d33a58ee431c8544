"""Counter-based random numbers for compiled loops.

Every draw is a pure function of (key, counter), so a run gives the same numbers whether
it is computed in one call or streamed in chunks from any thread, and parallel sweeps
need no shared generator state. The mixer is SplitMix64's finalizer.
"""

import math

import numpy as np
from numba import njit

from .kernels import kernel

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_TWO_PI = 2.0 * math.pi


@njit(cache=True, nogil=True)
def mix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True)
def stream_key(seed, stream):
    """A key for one independent stream (e.g. 'gradient noise of run 2') of a seed."""
    return mix64(mix64(np.uint64(seed) + _GOLDEN) ^ (np.uint64(stream) * _GOLDEN))


@njit(cache=True, nogil=True)
def uniform(key, counter):
    """Uniform on [0, 1) with 53 random bits."""
    z = mix64(key + np.uint64(counter) * _GOLDEN)
    return (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, nogil=True)
def normal(key, counter):
    """Standard normal (Box-Muller on the draws 2*counter and 2*counter + 1)."""
    u1 = uniform(key, 2 * counter)
    u2 = uniform(key, 2 * counter + 1)
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(_TWO_PI * u2)


@njit(cache=True, nogil=True)
def permutation(key, counter, out):
    """Fill `out` with a random permutation of 0..n-1 (Fisher-Yates), draws from `counter` on."""
    n = out.shape[0]
    for i in range(n):
        out[i] = i
    for i in range(n - 1, 0, -1):
        j = int(uniform(key, counter + i) * (i + 1))
        out[i], out[j] = out[j], out[i]


def key_for(seed: int, stream: int) -> np.uint64:
    """stream_key for Python callers, kept a uint64 (a plain int above 2**63 would not pass back into Numba)."""
    return np.uint64(kernel(stream_key)(seed, stream))

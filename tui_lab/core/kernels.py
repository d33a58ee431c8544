"""Compiled or interpreted: numeric kernels that never make the first start wait for Numba.

Numba compiles a kernel the first time it is called; on a fresh install (empty cache) the
optimizer loops take 10-20 s. The app starts a warm-up (`start_warm_up`): a child process
compiles the kernels into Numba's cache, then a background thread loads them. Until a kernel is ready,
`kernel(f)` gives its interpreted twin: f's own Python source run by the interpreter, with every
kernel it calls (directly, through a module, or in a tuple of kernels) interpreted too. The twin
does the same float64 operations in the same order, so the numbers match the compiled ones and
the switch-over shows no seam; it is only slower. Without a warm-up (the headless runner, tests,
the benchmark) `kernel(f)` is f itself.
"""

from __future__ import annotations

import atexit
import subprocess
import threading
import types

import numpy as np
from numba.core.registry import CPUDispatcher

_ready: set = set()                # kernels the warm-up has compiled or loaded
_seen: set = set()                 # kernels the warm-up thread has called so far
_twins: dict = {}
_warming = threading.Event()       # set while a warm-up runs: kernels not yet ready are interpreted
_state = threading.local()         # the warm-up thread itself always calls the compiled kernels


def kernel(f):
    """f (a Numba kernel) if it is compiled or no warm-up is running, else its interpreted twin."""
    if getattr(_state, "compiling", False):
        _seen.add(f)
        return f
    if not _warming.is_set() or f in _ready:
        return f
    return interpreted(f)


def interpreted(f):
    """f's interpreted twin (memoised); numeric warnings (e.g. the uint64 wrap-around that the
    counter-based generator relies on) are silenced as they are in compiled code."""
    twin = _twins.get(f)
    if twin is None:
        inner = _twin(f)

        def twin(*args):
            with np.errstate(all="ignore"):
                return inner(*args)
        twin.__name__ = f"{f.__name__}_interpreted"
        _twins[f] = twin
    return twin


_plain: dict = {}       # dispatcher -> its interpreted function (no errstate wrapper; calls between kernels)


def _twin(f):
    found = _plain.get(f)
    if found is not None:
        return found
    py = f.py_func
    namespace: dict = {}
    found = types.FunctionType(py.__code__, namespace, py.__name__, py.__defaults__, py.__closure__)
    _plain[f] = found                       # before filling the namespace: kernels may call each other
    for name, value in py.__globals__.items():
        namespace[name] = _swap(value)
    return found


def _swap(value):
    """What an interpreted kernel sees in place of a global: kernels interpreted, modules of kernels
    wrapped, tuples of kernels interpreted element by element."""
    if isinstance(value, CPUDispatcher):
        return _twin(value)
    if isinstance(value, types.ModuleType) and (value.__name__ or "").startswith("tui_lab."):
        return _ModuleTwin(value)
    if isinstance(value, tuple) and any(isinstance(v, CPUDispatcher) for v in value):
        return tuple(_swap(v) for v in value)
    return value


class _ModuleTwin:
    """A module as an interpreted kernel sees it (e.g. `sgd.update` gives the interpreted update)."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        return _swap(getattr(self._module, name))


def ready(f) -> bool:
    """Whether calling f now runs compiled code without waiting for a compiler."""
    return kernel(f) is f


class _ArrayMath:
    """`math` as a vectorised kernel sees it: the same functions, element-wise over arrays."""

    cos, sin, exp, sqrt, log, tanh, isfinite = np.cos, np.sin, np.exp, np.sqrt, np.log, np.tanh, np.isfinite
    pi, e, nan, inf = np.pi, np.e, np.nan, np.inf


_vectorised: dict = {}


def vectorised(f):
    """f's Python source run on whole arrays at once (`math` functions become NumPy's), for
    element-wise kernels without branches on their inputs; one that branches on them raises
    (ValueError: truth value of an array) and the caller falls back to the point-by-point twin.
    The results agree with the compiled kernel to rounding, not bit for bit: fine for pictures."""
    found = _vectorised.get(f)
    if found is None:
        py = f.py_func
        namespace = dict(py.__globals__)
        namespace["math"] = _ArrayMath
        found = types.FunctionType(py.__code__, namespace, py.__name__, py.__defaults__, py.__closure__)
        _vectorised[f] = found
    return found


LOAD_WAIT_S = 5.0        # the longest the loading waits for `load_after`


def start_warm_up(jobs, prebuild: list[str] | None = None,
                  load_after: threading.Event | None = None) -> threading.Thread:
    """Make kernels ready on a background thread: each job is a function that calls kernels through
    `kernel()`; the kernels it used are ready once it returns. Until then, and for kernels no job
    has reached yet, `kernel()` hands out interpreted twins.

    With `prebuild` (a command line that runs the same jobs), the compiling happens in that child
    process, on another core and away from this process's GIL, and fills Numba's cache; this
    process then only loads the cached code, once `load_after` is set (at most LOAD_WAIT_S later):
    loading holds the GIL for long stretches, so the lab has it wait for its first frame. The child
    is ended when this process exits."""
    _warming.set()

    def warm() -> None:
        if prebuild:
            try:
                child = subprocess.Popen(prebuild, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
                atexit.register(child.kill)
                child.wait()
            except OSError:
                pass                        # no child: compile here instead
        if load_after is not None:
            load_after.wait(LOAD_WAIT_S)
        _state.compiling = True
        try:
            for job in jobs:
                before = set(_seen)
                try:
                    job()
                except Exception:           # a kernel that fails to compile stays interpreted
                    continue
                _ready.update(_seen - before)
        finally:
            _state.compiling = False
            _warming.clear()                # everything else compiles on first use, as without warm-up

    thread = threading.Thread(target=warm, name="kernel-warm-up", daemon=True)
    thread.start()
    return thread


def warming() -> bool:
    return _warming.is_set()

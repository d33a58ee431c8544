"""The conv panel's state, free of widgets: the walk through one phase's entries (Stepper), the
adjustable settings of a setup and the scenario keys that change them, and the value cursor that
edits one input or kernel entry in place. Everything here is plain Python and NumPy (no Textual),
so it is tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.conv import Conv
from ...i18n import N_

SPEEDS = (1, 2, 4, 8, 16, 32)       # terms per second when playing
DEFAULT_SPEED = 2
PHASES = (N_("forward"), N_("kernel gradient"), N_("input gradient"))      # shown translated
SETTINGS = (N_("height"), N_("width"), N_("channels"), N_("kernels"), N_("kernel size"),    # words: tr() in messages
            "stride", "padding", "dilation")                                                  # keys: stay as written
SETTING_LABELS = {"height": "H", "width": "W", "channels": "C", "kernels": "O", "kernel size": "k",
                  "stride": "stride", "padding": "padding", "dilation": "dilation"}
LIMITS = {"height": (1, 32), "width": (1, 32), "channels": (1, 4), "kernels": (1, 4), "kernel size": (1, 7),
          "stride": (1, 4), "padding": (0, 4), "dilation": (1, 4)}
MAX_TERMS_SHOWN = 40                # the terms list shows the latest ones when an entry has more

def compact(index: list[int]) -> str:
    return "[" + ",".join(str(i) for i in index) + "]"


def num(v: float) -> str:
    """A number as the grids show it: integers plainly, others with two decimals."""
    v = float(v)
    if v == int(v) and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.2f}"


@dataclass
class Computed:
    """Everything one valid setup shows, in the canonical layout (see tui_lab.core.conv)."""
    scenario: object
    conv: Conv
    output: np.ndarray
    grad_output: np.ndarray
    grad_input: np.ndarray
    grad_kernel: np.ndarray
    grad_bias: np.ndarray
    result: dict


class Stepper:
    """Where the walk is: entry `entry` of the phase's entries, with `k` of its terms added.

    Entries before `entry` are complete. A step adds one term; past an entry's last term the walk
    moves to the next entry's first term. Entries with no terms (an input cell no window reaches)
    are complete as soon as they are reached.
    """

    def __init__(self, counts: list[int]):
        self.counts = counts
        self.entry = 0
        self.k = 0

    @property
    def finished(self) -> bool:
        return self.entry == len(self.counts) - 1 and self.k == self.counts[-1]

    def step(self) -> bool:
        """One term forward; False at the very end."""
        if self.k < self.counts[self.entry]:
            self.k += 1
        elif self.entry < len(self.counts) - 1:
            self.entry += 1
            self.k = min(1, self.counts[self.entry])
        else:
            return False
        return True

    def back(self) -> None:
        if self.k > 1 or (self.k == 1 and self.entry == 0):
            self.k -= 1
        elif self.entry > 0:
            self.entry -= 1
            self.k = self.counts[self.entry]

    def next_entry(self) -> None:
        if self.k < self.counts[self.entry]:
            self.k = self.counts[self.entry]
        elif self.entry < len(self.counts) - 1:
            self.entry += 1
            self.k = self.counts[self.entry]

    def previous_entry(self) -> None:
        if self.entry > 0:
            self.entry -= 1
            self.k = self.counts[self.entry]
        else:
            self.k = 0




EDIT_CHARS = "0123456789-."


@dataclass
class ValueCursor:
    """The value cursor: one entry of the input, (channel, row, column), or of the kernels,
    (kernel, channel, row, column), in the canonical layout, and the number typed there so far."""
    target: str                      # "input" or "kernel"
    index: tuple
    typed: str = ""

    def move(self, shape: tuple, rows: int, cols: int) -> None:
        """Step within the entry's 2-D slice (shape: the whole array's canonical shape)."""
        *lead, r, c = self.index
        self.index = (*lead, min(max(r + rows, 0), shape[-2] - 1), min(max(c + cols, 0), shape[-1] - 1))
        self.typed = ""

    def fit(self, shape: tuple) -> None:
        """Keep the cursor inside an array whose shape changed (a smaller input or kernel)."""
        self.index = tuple(min(i, n - 1) for i, n in zip(self.index, shape))

    def type(self, char: str) -> None:
        if char in EDIT_CHARS and len(self.typed) < 12:
            self.typed += char

    def backspace(self) -> None:
        self.typed = self.typed[:-1]

    def value(self) -> float | None:
        """The typed number (an integer stays an integer), None while it is not one."""
        try:
            number = float(self.typed)
        except ValueError:
            return None
        if not np.isfinite(number) or abs(number) > 1e6:
            return None
        return int(number) if number == int(number) and "." not in self.typed else number


def with_entry(array, index: tuple, value) -> list:
    """An array (or nested lists) as nested lists for a scenario file, whole numbers as integers,
    with the element at `index` replaced."""
    values = np.asarray(array, dtype=float)
    out = values.astype(object)
    whole = values == np.round(values)
    out[whole] = values[whole].astype(np.int64)
    out[index] = value
    return out.tolist()

"""The lab's footer: Textual's Footer, with every key it shows whole.

Textual lays the keys out in one row and docks the palette entry on the right, over whatever
runs under it, so at 80 columns a key's label was cut ("? Hel"). Here the keys that do not fit
beside the palette entry are left out whole, the last declared first; the help key (`?`, which
lists every key) stays while anything is shown, and the palette finds the rest.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

HELP_KEY = "question_mark"      # the key of the help screen (every key, whole)


class FittingFooter(Footer):
    _recompose_pending = False

    def bindings_changed(self, screen) -> None:
        """Recompose once for a burst of binding changes (a load, a tab shown and the focus moved
        each announce one; Textual's footer rebuilt all its keys for every one, a tenth of the
        start-up time), and also while the app is not focused (Textual's footer waits for focus,
        and a browser page through `tui-lab serve` may start unfocused: its footer stayed empty)."""
        self._bindings_ready = True
        if not self._recompose_pending and self.is_attached and screen is self.screen:
            self._recompose_pending = True
            self.call_after_refresh(self.recompose)

    async def recompose(self) -> None:
        self._recompose_pending = False
        await super().recompose()
        self.call_after_refresh(self.fit)

    def on_resize(self) -> None:
        self.call_after_refresh(self.fit)

    def fit(self) -> None:
        """Show the keys in their order while they fit beside the palette entry (help kept)."""
        keys = list(self.query(FooterKey))
        palette = [key for key in keys if key.has_class("-command-palette")]
        keys = [key for key in keys if not key.has_class("-command-palette")]
        room = self.size.width - sum(key.outer_size.width for key in palette)
        widths = [cell_len(key.render().plain) + key.styles.margin.width for key in keys]
        helps = [i for i, key in enumerate(keys) if key.key == HELP_KEY]
        reserved = sum(widths[i] for i in helps)
        used = 0
        for i, (key, width) in enumerate(zip(keys, widths)):
            if i in helps:
                shown = reserved <= room
            else:
                shown = used + width + reserved <= room
                used += width if shown else 0
            key.display = shown

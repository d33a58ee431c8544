"""A recorded step (or an optimizer's bare rule) as Rich text, in the course's notation.

Styles keep to the 16 ANSI colours, so the view reads the same on any terminal.
"""

from __future__ import annotations

from rich.text import Text

from ...i18n import N_, tr

RULE_STYLE = "bold"
NUMBERS_STYLE = ""
RESULT_STYLE = "bold yellow"
NOTE_STYLE = "cyan"
HEAD_STYLE = "bold cyan"


def rule_lines(optimizer) -> list[str]:
    """The optimizer's update rule, one equation a line, with the options the run switched on."""
    return [tr(line.rule) for line in optimizer.explain().lines]


def rule_text(optimizer, title: str | None = None) -> Text:
    out = Text()
    if title:
        out.append(title + "\n", HEAD_STYLE)
    writer = optimizer.explain()
    for line in writer.lines:
        out.append(tr(line.rule) + "\n", RULE_STYLE if line.key == "W_next" else "")
    for note in writer.notes:
        out.append(note + "\n", NOTE_STYLE)
    out.rstrip()
    return out


def step_text(writer, head: str, compact: int = 0) -> Text:
    """Each equation, then its numbers on the next line (the result in yellow). For a short
    terminal, `compact` 1 puts an equation, its numbers and its result on one (wrapping) line;
    2 leaves the substituted numbers out (equation = result)."""
    out = Text()
    out.append(head + "\n", HEAD_STYLE)
    for note in writer.notes:
        out.append(note + "\n", NOTE_STYLE)
    for line in writer.lines:
        out.append(tr(line.rule) + (" " if compact else "\n"), RULE_STYLE)
        if line.numbers:
            text, sep, result = line.numbers.rpartition(" = ")
            if sep and text:
                if compact < 2:
                    out.append(("= " if compact else "  = ") + text + (" " if compact else "\n"), NUMBERS_STYLE)
                out.append(("= " if compact else "  = ") + result + "\n", RESULT_STYLE)
            else:
                out.append(("" if compact else "  ") + tr(line.numbers) + "\n", RESULT_STYLE)
        elif compact:
            out.append("\n")
    out.rstrip()
    return out


NOTATION = N_("W_t: the weights at step t   η: learning rate   g_t: gradient   λ: weight decay   ε: small constant\n"
              "m_t, v_t: first and second moment (β₁, β₂ their decay)   a_t, b_t: momentum buffers (β: momentum)\n"
              "G_t: accumulated or averaged g² (γ: its decay)   ^: bias-corrected")


def all_rules_text() -> Text:
    """Every optimizer's update rule at its defaults, for the help screen."""
    from ...core.optim import OPTIMIZERS, Optimizer

    out = Text()
    out.append(tr("Update rules, in the course's notation") + "\n", "bold underline")
    out.append(tr(NOTATION) + "\n", NOTE_STYLE)
    for name, spec in OPTIMIZERS.items():
        optimizer = Optimizer(name, {} if spec.defaults()["lr"] is not None else {"lr": 0.01})
        out.append(f"{name}", HEAD_STYLE)
        out.append(f": {tr(spec.summary)}\n")
        for rule in rule_lines(optimizer):
            out.append(f"  {rule}\n")
    out.rstrip()
    return out

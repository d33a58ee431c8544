"""Every declared key, from every focus position of every panel (table-driven).

The lab binds every command of the app and of each panel once (commands.py) and routes it. This
test opens each panel on a course scenario, and on each of its sub-tabs puts the focus on one
widget of each kind there (and on nothing at all), presses every declared key of the app and of
that panel, and asserts which action the key dispatched: the declared one on its declared owner
when the command is live there, nothing when it is not (another sub-tab's command, or a key the
focused input box types). The actions are recorded, not run, so one press never changes the next.
"""

from __future__ import annotations

import pytest
from textual.actions import parse
from textual.widgets import Input

from app_helpers import until
from tui_lab.app.commands import types_into_input
from tui_lab.app.lab import LabApp
from tui_lab.app.panel import KindPanel

SIZE = (120, 40)


READY = {"surface": "race", "train": "lab", "conv": "stepper", "validate": "outcome"}   # set once a panel shows


def loaded(app: LabApp, kind: str) -> bool:
    panel = app.query_one(f"#panel-{kind}", KindPanel)
    return kind in app.scenarios and getattr(panel, READY[kind], None) is not None


class Recorder:
    """Stands in for App._dispatch_action: the router itself runs, the actions it reaches are
    recorded instead of run (and so are the app's own actions bound to keys)."""

    def __init__(self, app: LabApp):
        self.app = app
        self.original = app._dispatch_action
        self.calls: list[tuple[object, str, tuple]] = []
        app._dispatch_action = self

    async def __call__(self, namespace, action_name, params):
        if namespace is self.app and action_name == "command":
            return await self.original(namespace, action_name, params)
        if namespace is self.app or isinstance(namespace, KindPanel):
            self.calls.append((namespace, action_name, tuple(params)))
            return True
        return await self.original(namespace, action_name, params)


def focus_types(app: LabApp) -> list:
    """Each type of widget that can take the focus on the screen now, and None (nothing focused)."""
    types = [None]
    for widget in app.screen.focus_chain:
        if type(widget) not in types:
            types.append(type(widget))
    return types


def put_focus(app: LabApp, kind) -> object:
    """Focus the first widget of a type (found afresh: forms are rebuilt), or nothing."""
    target = next((w for w in app.screen.focus_chain if type(w) is kind), None) if kind else None
    app.screen.set_focus(target)
    if isinstance(target, Input):
        target.value = getattr(target, "applied", target.value)      # undo what the last key typed
    return target


async def press_all(pilot, app: LabApp, kind: str, recorder: Recorder) -> int:
    """Each key goes through the app's key handling up to the focused widget: the priority
    bindings, where the lab's router sits (`_check_bindings(key, priority=True)` is the step of a
    key press that runs before the focused widget sees the key). A key the router declines must
    come back unhandled, so that it reaches the focused widget (an input box types it)."""
    panel = app.query_one(f"#panel-{kind}", KindPanel)
    checked = 0
    for view in panel.view_names():
        for _ in range(5):               # (a focus event still queued brings its own tab back: retry)
            if panel.current_view() == view:
                break
            app.screen.set_focus(None)
            await pilot.pause()
            panel.show_view(view)
            await pilot.pause()
        assert panel.current_view() == view
        for focus_type in focus_types(app):
            target = put_focus(app, focus_type)
            await pilot.pause()
            for owner in ("app", kind):
                for command in app.routes[owner]:
                    for key in (k.strip() for k in command.key.split(",")):
                        if app.focused is not target:         # a command gives a lost focus back to the panel
                            assert target is None
                            put_focus(app, None)
                        recorder.calls.clear()
                        handled = await app._check_bindings(key, priority=True)
                        typing = isinstance(target, Input) and types_into_input(key)
                        live = not typing and (not command.view or command.view == view)
                        if command.action == "leave_input":
                            live = live and isinstance(target, Input)
                        _, name, params = parse(command.action)
                        owner_node = app if owner == "app" else panel
                        expected = (owner_node, name, tuple(params))
                        where = f"{kind}/{view or '-'} focus={focus_type and focus_type.__name__} key={key}"
                        if live:
                            assert handled and recorder.calls[:1] == [expected], where
                        else:
                            assert expected not in recorder.calls, where
                        if typing:
                            assert not handled, f"{where}: the input box must get this key"
                        others = [c for c in recorder.calls if isinstance(c[0], KindPanel) and c[0] is not panel]
                        assert others == [], f"{where}: another panel acted"
                        checked += 1
                        if checked % 40 == 0:
                            await pilot.pause()         # let the app keep up (footer, focus events)
    return checked


SCENARIOS = {"surface": "rosenbrock-race", "train": "train-capacity", "conv": "conv-first-3x3",
             "validate": "validate-capacity"}


@pytest.mark.parametrize("kind", sorted(SCENARIOS))
async def test_every_declared_key_from_every_focus_position(kind):
    app = LabApp(SCENARIOS[kind])
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: loaded(app, kind), timeout=120)
        await until(pilot, lambda: not any(w.is_running for w in app.query_one(f"#panel-{kind}").workers
                                           if w.group.endswith("prepare")), timeout=120)
        await pilot.pause(0.3)
        recorder = Recorder(app)
        checked = await press_all(pilot, app, kind, recorder)
        assert checked > 100
        assert app.errors == []


@pytest.mark.parametrize("kind", sorted(SCENARIOS))
async def test_every_key_the_footer_shows_is_whole(kind):
    """Textual docks the palette entry over the keys' row: a key that would run under it (or off
    the edge) is left out whole, the help key kept, at 80x24 and 120x40."""
    from textual.widgets._footer import FooterKey

    app = LabApp(SCENARIOS[kind])
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: loaded(app, kind), timeout=120)
        for size in ((80, 24), (120, 40)):
            await pilot.resize_terminal(*size)
            await pilot.pause(0.5)
            keys = list(app.query(FooterKey))
            palette = next(k for k in keys if k.has_class("-command-palette"))
            shown = [k for k in keys if k.display and k is not palette]
            assert any(k.key == "question_mark" for k in shown), size
            assert len(shown) >= 5 and all(k.region.right <= palette.region.x for k in shown), \
                (size, [(k.key, k.region) for k in shown], palette.region)
            assert all(k.region.width == len(k.render().plain) for k in shown)      # none squeezed

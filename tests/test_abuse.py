"""Safe under abuse: absurd sizes, hostile TOML, odd output paths, Ctrl-C, as a person would try them
from the shell. Every bad input is exit 2 with one line (at most ~200 characters) naming the user's
path and the key; the same through the API as ScenarioError."""

import os
import socket
import stat
import subprocess
import sys
import time

import numpy as np
import pytest

import tui_lab
from tui_lab import ScenarioError, load_scenario

SURFACE = """title = "race"
kind = "surface"
[surface]
name = "quadratic"
[run]
steps = 20
[[optimizers]]
name = "sgd"
lr = 0.1
"""

TRAIN = """title = "fit"
kind = "train"
[data]
name = "moons"
n = 55
[model]
name = "mlp"
hidden = [8]
[train]
epochs = 5
[[optimizers]]
name = "sgd"
lr = 0.1
"""

VALIDATE = """title = "v"
kind = "validate"
[data]
name = "sine"
[model]
name = "poly"
[validate]
method = "bootstrap"
"""


def cli(*args, cwd=None, timeout=300, **kw):
    return subprocess.run([sys.executable, "-m", "tui_lab", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, **kw)


def one_error(proc, path=None, key=None) -> str:
    """The single stderr line of a bad-input exit, checked the way the spec asks."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr[-2000:]
    line = lines[0]
    assert line.startswith("error: ") and len(line) <= 210, line
    assert ".tmp" not in line and "Traceback" not in line
    if path is not None:
        assert line.startswith(f"error: {path}: "), line
    if key is not None:
        assert f": {key}: " in line, line
    return line


def write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def refused(tmp_path, text, key, phrase=""):
    """CLI exit 2 naming the file and key, and the same message from the API."""
    path = write(tmp_path, text)
    line = one_error(cli("check", path), path, key)
    assert phrase in line, line
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert f"error: {err.value}" == line
    return line


# -- sizes the loader used to accept -----------------------------------------------------------------

def test_train_epochs_million_is_refused(tmp_path):
    refused(tmp_path, TRAIN.replace("epochs = 5", "epochs = 1000000"), "train.epochs", "100000")


def test_surface_linreg_ten_million_steps_batch_one_is_refused(tmp_path):
    text = SURFACE.replace('"quadratic"', '"linreg"').replace("steps = 20", "steps = 10000000\nbatch_size = 1")
    refused(tmp_path, text + "[data]\nn = 100000\n", "run.steps", "1000000")


def test_eight_optimizers_of_a_million_steps_need_too_much_memory(tmp_path):
    text = SURFACE.replace("steps = 20", "steps = 1000000") + '[[optimizers]]\nname = "adam"\n' * 7
    line = refused(tmp_path, text, "run.steps", "GiB of memory")
    assert "8 optimizer(s)" in line and "at most 1.0 GiB" in line


def test_two_thousand_optimizers_are_refused(tmp_path):
    refused(tmp_path, SURFACE + '[[optimizers]]\nname = "sgd"\nlr = 0.1\n' * 2000, "optimizers", "at most 32")


def test_long_l2_list_is_refused_and_history_is_not_preallocated(tmp_path):
    values = ", ".join(str(i / 100) for i in range(300))
    refused(tmp_path, TRAIN + f"[regularize]\nl2 = [{values}]\n", "regularize.l2", "at most 64")
    scenario = load_scenario(write(tmp_path, TRAIN.replace("epochs = 5", "epochs = 100000")))
    trainer = scenario.settings.make_trainers(0)[0]
    assert trainer.history.nbytes <= 4 * 1024 * 8          # grows as epochs run, not 100000 up front
    trainer.advance(3000)
    assert trainer.epoch == 3000 and trainer.history.shape[1] >= 3000
    assert np.isfinite(trainer.curve(0)).all()


def test_huge_bagging_is_refused_with_the_estimate(tmp_path):
    text = VALIDATE.replace('"bootstrap"', '"bagging"\nlearner = "tree"\ndepth = 10\nn_models = 5000\n'
                            'n_datasets = 5000').replace('name = "sine"', 'name = "sine"\nn = 100000')
    line = refused(tmp_path, text, "validate.n_datasets", "GiB of memory")
    assert "5,000 fits" in line and "at most 1.0 GiB" in line


def test_degree_by_l2_grid_is_bounded(tmp_path):
    degrees = ", ".join(str(1 + i % 30) for i in range(100))
    refused(tmp_path, VALIDATE.replace('"bootstrap"', f'"kfold"\ndegrees = [{degrees}]'), "validate.degrees",
            "at most 64")
    l2 = ", ".join(str(i) for i in range(100))
    refused(tmp_path, VALIDATE.replace('"bootstrap"', f'"kfold"\nl2 = [{l2}]'), "validate.l2", "at most 64")


def test_lesson_steps_are_bounded_by_the_run(tmp_path):
    refused(tmp_path, SURFACE + '[[lesson]]\ntext = "go"\nsteps = 1000000000\n', "lesson[0].steps")
    lessons = '[[lesson]]\ntext = "a"\nsteps = 15\n[[lesson]]\ntext = "b"\nsteps = 10\n[[lesson]]\ntext = "c"\nsteps = 3\n'
    scenario = load_scenario(write(tmp_path, SURFACE + lessons))     # the run has 20 steps: lessons stop there
    assert [lesson.steps for lesson in scenario.lessons] == [15, 5, 0]


# -- bad input that used to be an internal fault -------------------------------------------------------

def test_integer_too_large_for_a_float(tmp_path):
    refused(tmp_path, SURFACE.replace("lr = 0.1", "lr = 1" + "0" * 400), "optimizers[0].lr", "64 bits")
    with pytest.raises(ScenarioError, match="optimizers.0..lr"):
        load_scenario({**tui_lab.load_scenario(write(tmp_path, SURFACE)).raw,
                       "optimizers": [{"name": "sgd", "lr": 10 ** 400}]})


def test_integer_of_five_thousand_digits(tmp_path):
    path = write(tmp_path, SURFACE.replace("steps = 20", "steps = 1" + "0" * 5000))
    line = one_error(cli("check", path), path)
    assert "invalid TOML" in line and "set_int_max_str_digits" not in line


@pytest.mark.parametrize("depth", [30, 450, 5000])
def test_nesting_too_deep(tmp_path, depth):
    path = write(tmp_path, SURFACE + "deep = " + "[" * depth + "]" * depth + "\n")
    assert "nested" in one_error(cli("check", path), path)
    path = write(tmp_path, SURFACE + "deep = " + "{a = " * depth + "1" + "}" * depth + "\n")
    assert "nested" in one_error(cli("check", path), path)


def test_key_of_fifty_thousand_dotted_parts(tmp_path):
    path = write(tmp_path, SURFACE + "a" + ".a" * 50_000 + " = 1\n")
    start = time.monotonic()
    assert "dotted key" in one_error(cli("check", path), path)
    assert time.monotonic() - start < 30


def test_dev_zero_folder_and_fifo_as_scenario(tmp_path):
    assert "not a regular file" in one_error(cli("check", "/dev/zero"), "/dev/zero")
    assert "folder" in one_error(cli("check", tmp_path), tmp_path)
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    assert "not a regular file" in one_error(cli("run", fifo, timeout=60), fifo)   # never blocks


def test_oversized_file(tmp_path):
    path = write(tmp_path, SURFACE + "# " + "x" * 1_100_000 + "\n")
    assert "larger than" in one_error(cli("check", path), path)


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + SURFACE.encode())
    proc = cli("check", path)
    assert proc.returncode == 0 and "ok:" in proc.stdout


def test_validate_huge_l2_is_a_clean_error(tmp_path):
    refused(tmp_path, VALIDATE + "l2 = 1e308\n", "validate.l2", "expected a number in [0, 1000000]")
    refused(tmp_path, VALIDATE.replace('"bootstrap"', '"kfold"') + "l2 = [0.0, 1e308]\n", "validate.l2")


def test_surface_parameters_that_overflow_are_bad_input(tmp_path):
    text = SURFACE.replace('"quadratic"', '"rosenbrock"\na = 1e308')
    refused(tmp_path, text, "surface.a", "expected a number in [-1000000, 1000000]")
    refused(tmp_path, SURFACE.replace('"quadratic"', '"quadratic"\nstart = [1e300, 0]'), "surface.start")


def test_serve_bad_port_host_and_port_in_use():
    for port in ("99999", "0", "http"):
        line = one_error(cli("serve", "--port", port))
        assert "--port" in line and "[1, 65535]" in line
    proc = cli("serve", "--host", "no-such-host.invalid", "--port", "8765", timeout=60)
    assert "--host no-such-host.invalid" in one_error(proc) and proc.stdout == ""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = cli("serve", "--port", taken.getsockname()[1], timeout=60)
    assert "cannot listen" in one_error(proc) and proc.stdout == ""    # before any banner


def test_serve_warns_off_loopback(capsys):
    from tui_lab.cli import check_address

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    check_address("127.0.0.1", port)
    assert capsys.readouterr().err == ""
    check_address("0.0.0.0", port)
    err = capsys.readouterr().err
    assert err.startswith("warning: ") and "reads and writes files" in err and len(err.splitlines()) == 1


def test_api_text_scenario_object_and_self_reference(tmp_path):
    with pytest.raises(ScenarioError, match="not TOML text"):
        load_scenario(SURFACE)
    with pytest.raises(ScenarioError, match="not int"):
        load_scenario(42)
    scenario = load_scenario(write(tmp_path, SURFACE))
    assert load_scenario(scenario) is scenario
    assert tui_lab.run_scenario(scenario)["runs"][0]["steps"] == 20
    loop = {"title": "x", "kind": "surface"}
    loop["surface"] = loop
    with pytest.raises(ScenarioError, match="contains itself"):
        load_scenario(loop)
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ScenarioError, match="nested"):
        load_scenario({"title": deep})


def test_limits_page_is_generated_from_the_bounds():
    from pathlib import Path

    from tui_lab.limits import limits_markdown

    page = Path(__file__).resolve().parent.parent / "docs" / "limits.md"
    assert page.read_text(encoding="utf-8") == limits_markdown(), \
        "docs/limits.md is stale: write tui_lab.limits.limits_markdown() to it"


# -- messages --------------------------------------------------------------------------------------------

def test_newline_in_key_and_path_stays_one_line(tmp_path):
    line = one_error(cli("check", write(tmp_path, SURFACE + '"a\\nb" = 1\n')))
    assert "a\\nb" in line
    odd = tmp_path / "two\nlines.toml"
    odd.write_text(SURFACE.replace("steps = 20", "steps = -1"))
    line = one_error(cli("check", odd))
    assert "two\\nlines.toml" in line and "run.steps" in line


def test_megabyte_value_is_not_echoed_whole(tmp_path):
    line = refused(tmp_path, SURFACE.replace('name = "sgd"', 'name = "' + "x" * 500_000 + '"'),
                   "optimizers[0].name")
    assert "xxxx…" in line
    line = refused(tmp_path, SURFACE + "y" * 100_000 + " = 1\n", None)
    assert "unknown key" in line
    one_error(cli("run", "z" * 100_000))                           # a scenario name
    one_error(cli("run", write(tmp_path, SURFACE), "--bogus", "w\n" * 10_000))   # a usage error


def test_mismatched_list_lengths_name_both_keys(tmp_path):
    text = TRAIN.replace("epochs = 5", "epochs = 5\nbatch_size = [8, 16]") + "[regularize]\nl2 = [0.0, 0.1, 0.2]\n"
    line = refused(tmp_path, text, "train.batch_size")
    assert "lists 2 values but regularize.l2 lists 3" in line


def test_conv_padding_blames_padding(tmp_path):
    text = 'title = "c"\nkind = "conv"\n[conv]\ninput = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]\nkernel = [[1, 0], [0, 1]]\n'
    line = refused(tmp_path, text + "padding = 1000\n", "conv.padding", "entries")
    assert "16032016" not in line


# -- outputs ---------------------------------------------------------------------------------------------

@pytest.fixture
def scenario(tmp_path):
    return write(tmp_path, SURFACE, "race.toml")


def test_json_follows_a_symlink(tmp_path, scenario):
    target, link = tmp_path / "target.json", tmp_path / "link.json"
    link.symlink_to(target.name)
    assert cli("run", scenario, "--json", link).returncode == 0
    assert link.is_symlink() and os.readlink(link) == target.name
    assert '"kind": "surface"' in target.read_text()


def test_json_to_a_fifo_and_a_device_is_written_in_place(tmp_path, scenario):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    assert cli("run", scenario, "--json", fifo).returncode == 0
    assert '"kind": "surface"' in reader.communicate(timeout=60)[0]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert cli("run", scenario, "--json", "/dev/null").returncode == 0
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)
    piped = cli("run", scenario, "--json", "/dev/stdout")           # a link to the pipe the test reads
    assert piped.returncode == 0 and '"kind": "surface"' in piped.stdout


def test_modes_kept_or_from_the_umask(tmp_path, scenario):
    new = tmp_path / "new.json"
    assert cli("run", scenario, "--json", new, preexec_fn=lambda: os.umask(0o027)).returncode == 0
    assert stat.S_IMODE(new.stat().st_mode) == 0o640
    old = tmp_path / "old.json"
    old.write_text("{}")
    old.chmod(0o604)
    assert cli("run", scenario, "--json", old).returncode == 0
    assert stat.S_IMODE(old.stat().st_mode) == 0o604 and '"surface"' in old.read_text()


def test_never_over_the_scenario_being_run(tmp_path, scenario):
    before = scenario.read_text()
    one_error(cli("run", scenario, "--json", scenario), scenario)
    link = tmp_path / "alias.json"
    link.symlink_to(scenario)
    assert "scenario being run" in one_error(cli("run", scenario, "--json", link), link)
    assert scenario.read_text() == before


def test_all_outputs_checked_before_any_is_written(tmp_path, scenario):
    afile = tmp_path / "afile"
    afile.write_text("x")
    j1 = tmp_path / "j1.json"
    one_error(cli("run", scenario, "--json", j1, "--csv", afile), afile)
    assert not j1.exists() and afile.read_text() == "x"


def test_csv_folder_needs_force_to_replace(tmp_path, scenario):
    folder = tmp_path / "csv"
    assert cli("run", scenario, "--csv", folder).returncode == 0
    (folder / "trajectories.csv").write_text("mine")
    j = tmp_path / "j.json"
    line = one_error(cli("run", scenario, "--csv", folder, "--json", j), folder)
    assert "--force" in line and "trajectories.csv" in line
    assert (folder / "trajectories.csv").read_text() == "mine" and not j.exists()
    assert cli("run", scenario, "--csv", folder, "--force").returncode == 0
    assert (folder / "trajectories.csv").read_text().startswith("label,step")


def test_errors_name_the_users_path_never_a_temp_file(tmp_path, scenario):
    afile = tmp_path / "afile"
    afile.write_text("x")
    one_error(cli("run", scenario, "--json", afile / "x.json"), afile / "x.json")
    one_error(cli("run", scenario, "--json", "/proc/version"), "/proc/version")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_app_export_uses_the_same_rules(tmp_path):
    from tui_lab.output import OutputError, check_folder, write_atomic, write_files

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "runs.csv").write_text("mine")
    with pytest.raises(OutputError, match="already holds runs.csv; choose an empty folder"):
        check_folder(folder, ["curves.csv", "runs.csv"])
    write_files([(t, "a,b\n") for t in check_folder(tmp_path / "new" / "sub", ["x.csv"])])
    assert (tmp_path / "new" / "sub" / "x.csv").read_text() == "a,b\n"
    link = tmp_path / "saved.toml"
    link.symlink_to(tmp_path / "real.toml")
    write_atomic(link, "title = 1\n")
    assert link.is_symlink() and (tmp_path / "real.toml").read_text() == "title = 1\n"


# -- Ctrl-C --------------------------------------------------------------------------------------------

LONG = {
    "surface": SURFACE.replace('"quadratic"', '"linreg"').replace("steps = 20", "steps = 1000000")
    + "[data]\nn = 100000\n",
    "train": TRAIN.replace("epochs = 5", "epochs = 100000").replace("n = 55", "n = 20000"),
    "validate": VALIDATE.replace('"bootstrap"', '"bagging"\nlearner = "tree"\ndepth = 10\nn_models = 500\n'
                                 'n_datasets = 20').replace('name = "sine"', 'name = "sine"\nn = 5000'),
}


@pytest.mark.parametrize("kind", list(LONG))
def test_ctrl_c_stops_a_long_run_within_a_second(tmp_path, kind):
    path = write(tmp_path, LONG[kind], "long.toml")
    warm = write(tmp_path, {"surface": SURFACE, "train": TRAIN, "validate": VALIDATE}[kind], "warm.toml")
    assert cli("run", warm).returncode == 0           # compiled kernels cached: the long run starts at once
    out = tmp_path / "out.json"
    proc = subprocess.Popen([sys.executable, "-m", "tui_lab", "run", str(path), "--json", str(out),
                             "--csv", str(tmp_path / "csv")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4.0)
    assert proc.poll() is None, proc.communicate()
    sent = time.monotonic()
    proc.send_signal(2)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 1.0
    assert proc.returncode == 130 and err == "interrupted\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.toml", "warm.toml"]


def test_progress_on_a_terminal_then_ctrl_c(tmp_path):
    import pty

    path = write(tmp_path, LONG["surface"], "long.toml")
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "tui_lab", "run", str(path), "--json", str(tmp_path / "o.json")],
                            stdout=subprocess.DEVNULL, stderr=slave, env={**os.environ, "COLUMNS": "100"})
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 120
    while b"/1000000" not in seen and time.monotonic() < deadline:
        seen += os.read(master, 4096)
    assert b"running" in seen and b"/1000000" in seen          # the progress bar: steps done of all
    sent = time.monotonic()
    proc.send_signal(2)
    assert proc.wait(timeout=30) == 130 and time.monotonic() - sent < 1.0
    try:
        while True:
            chunk = os.read(master, 4096)
            if not chunk:
                break
            seen += chunk
    except OSError:
        pass
    os.close(master)
    assert b"interrupted" in seen and not (tmp_path / "o.json").exists()


# -- numeric edge cases ----------------------------------------------------------------------------

def test_batchnorm_drops_a_one_sample_last_batch(tmp_path):
    base = TRAIN.replace("epochs = 5", "epochs = 5\nbatch_size = 16") + "[regularize]\nbatchnorm = true\n"
    scenario = load_scenario(write(tmp_path, base))
    assert scenario.settings.data.sizes[0] % 16 == 1          # 33 training rows: a last batch of 1
    dropped = tui_lab.run_scenario(scenario)["runs"][0]
    assert dropped["steps"] == 5 * 2
    explicit = tui_lab.run_scenario(write(tmp_path, base.replace("batch_size = 16", "batch_size = 16\n"
                                                                 "drop_last = true"), "d.toml"))["runs"][0]
    assert np.array_equal(dropped["train_loss"], explicit["train_loss"])
    plain = tui_lab.run_scenario(write(tmp_path, base.replace("batchnorm = true", "batchnorm = false"),
                                       "p.toml"))["runs"][0]
    assert plain["steps"] == 5 * 3                            # without batch norm every row is used


def test_early_stopping_restores_the_best_weights_when_epochs_run_out(tmp_path):
    scenario = {"title": "overfit", "kind": "train", "data": {"name": "moons", "n": 40, "noise": 0.3},
                "model": {"name": "mlp", "hidden": [64, 64]}, "train": {"epochs": 300},
                "regularize": {"early_stopping": 1000},               # patience never runs out
                "optimizers": [{"name": "adam", "lr": 0.01}]}
    run = tui_lab.run_scenario(scenario)["runs"][0]
    assert not run["early_stopped"] and run["stopped_epoch"] == 300
    best = run["best_epoch"]
    assert best < 300 and run["val_loss"][-1] > 1.5 * run["val_loss"][best - 1]   # it did overfit after best
    assert run["final_val_loss"] == pytest.approx(run["val_loss"][best - 1], rel=1e-12)
    assert run["final_val_loss"] == pytest.approx(min(run["val_loss"]), rel=1e-12)


async def test_ctrl_c_leaves_the_app_from_anywhere_with_exit_130(tmp_path):
    from textual.widgets import Input

    from tui_lab.app.lab import LabApp
    from tui_lab.app.screens import PromptScreen

    app = LabApp(str(write(tmp_path, SURFACE)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.5)
        app.push_screen(PromptScreen("a question", "an answer"))    # an input box has the focus
        await pilot.pause(0.2)
        assert isinstance(app.focused, Input)
        start = time.monotonic()
        await pilot.press("ctrl+c")
        while app.is_running and time.monotonic() - start < 5:
            await pilot.pause(0.01)
    assert app.return_code == 130 and time.monotonic() - start < 1.0


def test_ctrl_c_stops_serve_at_once():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "tui_lab", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(6)
    assert proc.poll() is None, proc.communicate()
    sent = time.monotonic()
    proc.send_signal(2)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 1.0 and proc.returncode == 130 and err.splitlines()[-1] == "interrupted"


def test_a_served_lab_ends_with_its_server_even_when_the_server_is_killed():
    """Ctrl-C in the server's terminal reaches its labs too, but a killed server (SIGTERM, SIGKILL)
    left each browser tab's lab running with nobody to read it; a lab now ends within a second."""
    from tui_lab.app.lifeline import SERVER_PID

    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    lab = subprocess.Popen([sys.executable, "-c", "from tui_lab.app.lifeline import end_with_server; "
                            "end_with_server(); import time; time.sleep(60)"],
                           env={**os.environ, SERVER_PID: str(server.pid)})
    time.sleep(2)
    assert lab.poll() is None                     # alive while the server is
    server.kill()
    server.wait()
    gone = time.monotonic()
    lab.wait(timeout=10)
    assert time.monotonic() - gone < 1.5 and lab.returncode == 0

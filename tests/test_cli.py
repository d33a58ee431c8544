"""The `tui-lab` command as a script would use it: exit codes, one-line errors, outputs."""

import csv
import json
import subprocess
import sys

import pytest

import tui_lab

GOOD = """
title = "A small race"
kind = "surface"
[surface]
name = "quadratic"
[run]
steps = 20
[[optimizers]]
name = "sgd"
lr = 0.1
[[optimizers]]
name = "adam"
lr = 0.1
"""


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "tui_lab", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "good.toml"
    path.write_text(GOOD)
    return path


BAD_CASES = [   # (what is changed, the key path the message must name, a phrase it must contain)
    ('lr = 0.1\n[[optimizers]]\nname = "adam"\nlr = 0.1', 'lr = 0.1\n[[optimizers]]\nname = "adam"\nlr = "fast"',
     'optimizers[1].lr', 'expected a positive number, got "fast"'),
    ('name = "quadratic"', 'name = "rosenbrok"', "surface.name", 'did you mean "rosenbrock"'),
    ('name = "sgd"', 'name = "adamm"', "optimizers[0].name", 'did you mean "adam"'),
    ("steps = 20", "stepz = 20", "run.stepz", 'unknown key (did you mean "steps"?)'),
    ("steps = 20", "steps = -5", "run.steps", "expected an integer in [1, 1000000], got -5"),
    ("steps = 20", "steps = 2.5", "run.steps", "expected an integer"),
    ('kind = "surface"', 'kind = "surfce"', "kind", 'did you mean "surface"'),
    ('title = "A small race"\n', "", "title", "expected a string, got nothing"),
    ("lr = 0.1\n[[optimizers]]", "lr = 0.1\nmomentum = -1\n[[optimizers]]", "optimizers[0].momentum",
     "expected a non-negative number"),
    ('name = "adam"\nlr = 0.1', 'name = "adam"\nlr = 0.1\nbetas = [0.9]', "optimizers[1].betas",
     "expected two numbers in [0, 1)"),
    ('name = "sgd"\nlr = 0.1', 'name = "sgd"\nlr = 0.1\nnesterov = true', "optimizers[0].nesterov",
     "requires a momentum"),
    ("steps = 20", "steps = 20\nbatch_size = 4", "run.batch_size", "only the data-driven surface"),
    ('name = "quadratic"', 'name = "quadratic"\nstart = [1, "a"]', "surface.start", "expected [x, y]"),
    ('name = "quadratic"', 'name = "quadratic"\nkapa = 3', "surface.kapa", 'did you mean "kappa"'),
    ('kind = "surface"', 'kind = "surface"\nseed = -1', "seed", "expected an integer"),
    ('name = "quadratic"', 'name = "quadratic"\nseed = 1', "surface.seed", "unknown key; valid keys here: kappa"),
]


@pytest.mark.parametrize("old,new,key,phrase", BAD_CASES, ids=[c[2] for c in BAD_CASES])
def test_bad_input_is_one_line_exit_2(tmp_path, old, new, key, phrase):
    assert old in GOOD
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace(old, new, 1))
    out = tmp_path / "out.json"
    proc = cli("run", str(path), "--json", str(out))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"error: {path}: {key}: ")
    assert phrase in lines[0]
    assert not out.exists()   # never a partial output file
    with pytest.raises(tui_lab.ScenarioError) as err:   # the API says the same
        tui_lab.run_scenario(path)
    assert str(err.value) == lines[0][len("error: "):]


@pytest.mark.parametrize("content,phrase", [
    ("title = 'x'\nkind = ", "invalid TOML"),
    ("", "title: expected a string, got nothing"),
])
def test_unparsable_or_empty_file(tmp_path, content, phrase):
    path = tmp_path / "x.toml"
    path.write_text(content)
    proc = cli("check", str(path))
    assert proc.returncode == 2 and phrase in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_missing_file_and_unknown_shipped_name():
    proc = cli("run", "no/such/file.toml")
    assert proc.returncode == 2 and "no/such/file.toml: no such file" in proc.stderr
    proc = cli("run", "rosenbrock-rac")
    assert proc.returncode == 2 and 'did you mean "rosenbrock-race"' in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_run_summary_json_csv(tmp_path, good_file):
    proc = cli("run", str(good_file))
    assert proc.returncode == 0, proc.stderr
    assert "A small race" in proc.stdout and "sgd" in proc.stdout and "adam" in proc.stdout
    proc = cli("run", str(good_file), "--json", "-")
    data = json.loads(proc.stdout)
    assert data["kind"] == "surface" and data["title"] == "A small race" and data["seed"] == 0
    assert data["surface"]["name"] == "quadratic" and data["surface"]["minima"] == [[0.0, 0.0]]
    run = data["runs"][1]
    assert run["label"] == "adam" and run["optimizer"] == "adam" and run["steps"] == 20
    assert run["hyperparams"] == {"lr": 0.1, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0,
                                  "amsgrad": False, "decoupled_weight_decay": False}
    assert len(run["trajectory"]) == 21 and run["final_loss"] == run["loss"][-1]
    assert run["diverged"] is False and run["diverged_at"] is None
    out = tmp_path / "res.json"
    assert cli("run", str(good_file), "--json", str(out), "--csv", str(tmp_path / "csv")).returncode == 0
    assert json.loads(out.read_text()) == data   # same file, same numbers
    rows = list(csv.DictReader(open(tmp_path / "csv" / "trajectories.csv")))
    assert len(rows) == 2 * 21 and rows[0]["label"] == "sgd" and float(rows[-1]["loss"]) == run["final_loss"]


def test_list_check_version_help(good_file, tmp_path):
    proc = cli("list", cwd=tmp_path)   # works from any folder
    assert proc.returncode == 0
    rows = [line for line in proc.stdout.splitlines() if not line.startswith("#")]   # "#" lines: course headings
    names = [line.split()[0] for line in rows]
    assert "rosenbrock-race" in names
    for line in rows:
        assert line.split()[1] in ("surface", "train", "conv", "validate")
    proc = cli("check", str(good_file), "rosenbrock-race")
    assert proc.returncode == 0 and proc.stdout.count("ok: ") == 2
    assert cli("--version").stdout.strip() == f"tui-lab {tui_lab.__version__}"
    help_text = cli("--help").stdout
    for command in ("run", "list", "check", "bench", "serve"):
        assert f"tui-lab {command}" in help_text


def test_unwritable_output_is_bad_input(good_file, tmp_path):
    proc = cli("run", str(good_file), "--json", str(tmp_path / "missing-dir" / "x.json"))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1


def test_api_accepts_dict_path_and_name(good_file):
    import tomllib

    by_path = tui_lab.run_scenario(good_file)
    by_dict = tui_lab.run_scenario(tomllib.loads(GOOD))
    assert by_path["runs"][0]["trajectory"].tobytes() == by_dict["runs"][0]["trajectory"].tobytes()
    assert tui_lab.load_scenario("rosenbrock-race").kind == "surface"

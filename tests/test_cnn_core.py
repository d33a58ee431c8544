"""The CNN without torch: finite-difference gradients, the shipped digits, the image regularizers'
batches (Cutout holes, CutMix patches and area-mixed labels, shifts, flips) and the scenario keys."""

from __future__ import annotations

import numpy as np
import pytest

from tui_lab import load_scenario, run_scenario
from tui_lab.core.cnn import CnnModel, batch_loss_grad
from tui_lab.core.datasets import make_dataset
from tui_lab.core.image_data import image_set
from tui_lab.scenario.fields import ScenarioError

BASE = {"title": "t", "kind": "train", "seed": 3, "data": {"name": "digits", "n": 200},
        "model": {"name": "cnn", "conv": [4, 6], "kernel": 3, "pool": "max", "hidden": [12], "activation": "relu"},
        "train": {"epochs": 2, "batch_size": 16}, "optimizers": [{"name": "adam", "lr": 0.003}]}


def scenario(**tables) -> dict:
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in BASE.items()}
    for key, value in tables.items():
        out[key] = {**out.get(key, {}), **value}
    return out


def numeric_grad(model, p, x, targets, eps=1e-6, **kw):
    num = np.empty_like(p)
    for i in range(p.size):
        q = p.copy()
        q[i] += eps
        up, _ = batch_loss_grad(model, q, x, targets, **kw)
        q[i] -= 2 * eps
        down, _ = batch_loss_grad(model, q, x, targets, **kw)
        num[i] = (up - down) / (2 * eps)
    return num


@pytest.mark.parametrize("pool,batchnorm,activation,kernel,dropout", [
    ("max", False, "relu", 3, 0.0), ("avg", True, "tanh", 3, 0.0), ("none", False, "sigmoid", 2, 0.0),
    ("max", True, "tanh", 2, 0.3)])
def test_gradient_matches_finite_differences(pool, batchnorm, activation, kernel, dropout):
    model = CnnModel((1, 6, 6), 4, conv=(2, 3), kernel=kernel, pool=pool, hidden=(5,), activation=activation,
                     batchnorm=batchnorm)
    p = model.init_params("xavier", 1)
    p += 0.05 * np.random.default_rng(2).standard_normal(p.size)     # biases and bn off their start values
    rng = np.random.default_rng(0)
    x = rng.random((3, 1, 6, 6))
    targets = rng.dirichlet(np.ones(4), 3)                             # soft targets, as mixup / CutMix give
    kw = {"dropout": dropout, "dropout_key": 7}                        # a fixed dropout mask (counter-based)
    loss, g = batch_loss_grad(model, p, x, targets, **kw)
    num = numeric_grad(model, p, x, targets, **kw)
    assert np.isfinite(loss) and loss > 0
    assert np.abs(num - g).max() < 1e-7 * max(1.0, np.abs(num).max())


def test_parameter_layout_and_counts():
    model = CnnModel((1, 8, 8), 10, conv=(8, 16), kernel=3, pool="max", hidden=(32,))
    # conv 1->8: 8*9+8; conv 8->16: 16*72+16; dense 64->32; 32->10
    assert [n for _, n in model.layer_params()] == [80, 1168, 64 * 32 + 32, 330]
    assert model.n_params == 80 + 1168 + 2080 + 330
    assert model.weight_mask().sum() == 72 + 1152 + 2048 + 320
    assert CnnModel((1, 8, 8), 10, conv=(4, 4, 4, 4), pool="max").problem() is not None


def test_digits_are_shipped_with_their_licence():
    from importlib import resources
    data = image_set("digits", 1797, 0.0, 0)
    assert data.x.shape == (1797, 1, 8, 8) and data.n_classes == 10
    assert data.x.min() == 0.0 and data.x.max() == 1.0
    assert np.bincount(data.y.astype(int)).min() >= 170
    root = resources.files("tui_lab") / "data"
    assert "CC BY 4.0" in (root / "LICENSE-digits.txt").read_text()
    assert len((root / "digits.npz").read_bytes()) < 200_000
    subset = make_dataset("digits", 300, 0.0, 5)
    assert subset.x.shape == (300, 1, 8, 8)
    assert np.array_equal(subset.x, make_dataset("digits", 300, 0.0, 5).x)


def test_split_and_json_follow_the_other_sets():
    result = run_scenario(scenario(), include_data=True)
    assert result["dataset"]["sizes"] == {"train": 120, "val": 40, "test": 40}
    assert np.asarray(result["data"]["train"]["x"]).shape == (120, 1, 8, 8)
    assert result["model"]["n_params"] == CnnModel((1, 8, 8), 10, conv=(4, 6), hidden=(12,)).n_params
    run = result["runs"][0]
    assert len(run["train_loss"]) == 2 and 0.0 <= run["test_metric"] <= 1.0
    assert "params" not in run


def trainer(**tables):
    return load_scenario(scenario(**tables)).settings.make_trainers(3)[0]


def test_cutout_holes_are_zero_and_inside_the_image():
    tr = trainer(regularize={"cutout": 4})
    images, targets, boxes, _ = tr.batch_as_seen(1)
    clean, _, _, _ = trainer().batch_as_seen(1)
    for img, ref, (y0, y1, x0, x1) in zip(images, clean, boxes):
        assert 0 <= y0 < y1 <= 8 and 0 <= x0 < x1 <= 8 and y1 - y0 <= 4 and x1 - x0 <= 4
        assert (img[:, y0:y1, x0:x1] == 0).all()
        outside = np.ones((8, 8), bool)
        outside[y0:y1, x0:x1] = False
        assert np.array_equal(img[0][outside], ref[0][outside])
    assert np.allclose(targets.sum(axis=1), 1.0) and set(np.unique(targets)) == {0.0, 1.0}


def test_cutmix_pastes_a_patch_and_mixes_labels_by_its_area():
    tr = trainer(regularize={"cutmix": 1.0})
    seen = 0
    for step in range(1, 6):
        images, targets, _, box = tr.batch_as_seen(step)
        clean, onehot, _, _ = trainer().batch_as_seen(step)
        y0, y1, x0, x1, lam_milli = box
        area = (y1 - y0) * (x1 - x0)
        lam = 1.0 - area / 64.0
        assert lam_milli == round(1000 * lam)
        if area == 0:
            continue
        seen += 1
        for r in range(images.shape[0]):
            partner = [q for q in range(clean.shape[0])
                       if np.array_equal(clean[q][:, y0:y1, x0:x1], images[r][:, y0:y1, x0:x1])]
            assert partner, "the patch comes from an image of the same batch"
            outside = np.ones((8, 8), bool)
            outside[y0:y1, x0:x1] = False
            assert np.array_equal(images[r][0][outside], clean[r][0][outside])
            expected = [lam * onehot[r] + (1 - lam) * onehot[q] for q in partner]
            assert any(np.allclose(targets[r], e) for e in expected)
    assert seen >= 3


def test_shift_and_flip_move_pixels_without_changing_labels():
    clean, onehot, _, _ = trainer().batch_as_seen(2)
    shifted, t_shift, _, _ = trainer(regularize={"augment": "shift"}).batch_as_seen(2)
    flipped, t_flip, _, _ = trainer(regularize={"augment": "flip"}).batch_as_seen(2)
    assert np.array_equal(t_shift, onehot) and np.array_equal(t_flip, onehot)
    for img, ref in zip(shifted, clean):
        assert any(np.array_equal(img[0], np.roll(np.pad(ref[0], 1), (dy, dx), (0, 1))[1:-1, 1:-1])
                   for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    mirrored = [np.array_equal(img, ref[:, :, ::-1]) for img, ref in zip(flipped, clean)]
    kept = [np.array_equal(img, ref) for img, ref in zip(flipped, clean)]
    assert all(m or k for m, k in zip(mirrored, kept)) and 0 < sum(mirrored) < len(mirrored)


def test_mixup_on_images_mixes_pairs():
    images, targets, _, _ = trainer(regularize={"mixup": 0.4}).batch_as_seen(1)
    assert np.allclose(targets.sum(axis=1), 1.0)
    assert (np.count_nonzero(targets, axis=1) <= 2).all() and (np.count_nonzero(targets, axis=1) == 2).any()


def test_every_regularizer_trains_finite():
    tr = trainer(regularize={"cutout": 3, "cutmix": 1.0, "mixup": 0.2, "augment": "shift", "dropout": 0.2,
                             "batchnorm": True, "l2": 1e-4, "label_smoothing": 0.1})
    tr.run()
    assert tr.epoch == 2 and not tr.diverged and np.isfinite(tr.history[:, :2]).all()
    counts = tr.confusion(tr.test_idx)
    assert counts.sum() == tr.test_idx.size
    assert np.isclose(np.trace(counts) / counts.sum(), tr.evaluate(tr.test_idx)[1])
    maps = tr.activations(tr.x[:2])
    assert [m.shape for m in maps] == [(2, 4, 8, 8), (2, 6, 4, 4), (2, 10)]
    assert np.allclose(maps[-1].sum(axis=1), 1.0)


@pytest.mark.parametrize("tables,fragment", [
    ({"model": {"name": "cnn"}, "data": {"name": "moons"}}, "not an image set"),
    ({"model": {"conv": [4, 4, 4, 4]}}, "feature map"),
    ({"model": {"conv": [0]}}, "model.conv"),
    ({"model": {"kernel": 99}}, "model.kernel"),
    ({"model": {"pool": "median"}}, "model.pool"),
    ({"regularize": {"cutout": -1}}, "regularize.cutout"),
    ({"model": {"name": "mlp", "conv": None}, "regularize": {"cutmix": 1.0}}, "regularize.cutmix"),
    ({"model": {"name": "mlp", "conv": None}, "regularize": {"augment": "shift"}}, "regularize.augment"),
    ({"regularize": {"augment": "jitter"}}, "regularize.augment"),
    ({"data": {"n": 5000}}, "data.n"),
])
def test_bad_image_settings_are_one_line_errors(tables, fragment):
    sc = scenario(**tables)
    sc["model"] = {k: v for k, v in sc["model"].items() if v is not None}
    if sc["model"]["name"] == "mlp":
        sc["model"] = {"name": "mlp", "hidden": [8]}
    with pytest.raises(ScenarioError) as err:
        load_scenario(sc)
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_mlp_on_digits_sees_flat_pixels():
    sc = scenario(model={"name": "mlp", "hidden": [16]})
    sc["model"] = {"name": "mlp", "hidden": [16], "activation": "relu"}
    result = run_scenario(sc)
    assert result["model"]["layer_sizes"] == [64, 16, 10]
    assert result["model"]["n_params"] == 64 * 16 + 16 + 16 * 10 + 10


def test_validate_kind_refuses_image_sets_in_one_line():
    sc = {"title": "v", "kind": "validate", "data": {"name": "digits", "n": 100},
          "model": {"name": "mlp", "hidden": [8]}, "validate": {"method": "kfold", "k": 3},
          "optimizers": [{"name": "adam"}]}
    with pytest.raises(ScenarioError) as err:
        load_scenario(sc)
    assert "data.name" in str(err.value) and "image set" in str(err.value)


def test_a_cnn_too_large_for_memory_is_refused_up_front():
    from tui_lab.core.cnn import workspace, workspace_bytes
    small = CnnModel((1, 8, 8), 10, conv=(8, 16), hidden=(32,))
    assert workspace_bytes(small, 32) >= sum(a.nbytes for a in workspace(small, 32))
    sc = scenario(model={"conv": [64, 64, 64, 64], "pool": "none", "hidden": [1024] * 8},
                  train={"batch_size": 0}, data={"n": 1797})
    with pytest.raises(ScenarioError) as err:
        load_scenario(sc)
    assert "model.conv" in str(err.value) and "GiB" in str(err.value)


def test_generated_shapes_are_whole_shapes_in_three_balanced_classes():
    data = make_dataset("shapes", 300, 0.0, 4)
    assert data.x.shape == (300, 1, 12, 12) and data.n_classes == 3
    assert np.bincount(data.y.astype(int)).tolist() == [100, 100, 100]
    assert set(np.unique(data.x)) == {0.0, 1.0}
    for img, label in zip(data.x[:30, 0], data.y[:30]):
        rows, cols = np.flatnonzero(img.any(axis=1)), np.flatnonzero(img.any(axis=0))
        side = rows[-1] - rows[0] + 1
        assert 4 <= side <= 8 and cols[-1] - cols[0] + 1 == side           # a whole shape, square box
        box = img[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        if label == 0:
            assert box[0].all() and box[-1].all() and box[:, 0].all() and not box[1:-1, 1:-1].any()
        elif label == 2:
            assert box[side // 2].all() and box[:, side // 2].all() and box.sum() == 2 * side - 1
    noisy = make_dataset("shapes", 300, 0.1, 4)
    assert np.array_equal(noisy.y, data.y) and 0.05 < np.std(noisy.x - data.x) < 0.15
    assert load_scenario({**BASE, "data": {"name": "shapes"}}).settings.data.n == 600


def test_cnn_runs_keep_the_trainers_history_room_and_divergence_rule():
    """A CNN run goes through Trainer.advance like a dense one: its history grows past what was
    allocated at first (a long run's curves are not allocated up front), and a training loss past the
    divergence limit ends the run as diverged, on its last finite weights."""
    tr = trainer(train={"epochs": 5})
    tr.history = tr.history[:, :2]          # as if the first allocation held two epochs
    tr.run()
    assert tr.epoch == 5 and tr.history.shape[1] >= 5 and np.isfinite(tr.history[:, :5]).all()

    wild_scenario = scenario(train={"epochs": 3})
    wild_scenario["optimizers"] = [{"name": "sgd", "lr": 1e12}]
    wild = load_scenario(wild_scenario).settings.make_trainers(3)[0]
    wild.run()
    assert wild.diverged and wild.epoch < 3
    assert np.isfinite(wild.params).all()

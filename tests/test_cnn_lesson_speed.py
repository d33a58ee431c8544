"""Every step of an image lesson plays in seconds: `]` resets the runs and trains them to the step's
cumulative epochs, so the work of step k is all runs x all epochs up to k.

Two bounds: a deterministic one, the step's CPU seconds estimated from its multiply-adds and image
passes (what a lesson author changes by adding epochs, runs, channels or images), and the measured
CPU time of that work with warm kernels (generous, for a loaded 2-core CI machine). The app adds
~0.15 s of drawing per frame and draws at most LESSON_FRAMES (5) frames per lesson step."""

import time

import pytest

import tui_lab
from tui_lab.core.cnn import C_IN, C_OUT, D_IN, D_OUT, H_IN, W_IN, CnnModel
from tui_lab.scenario.shipped import shipped_names

IMAGE_LESSONS = sorted(n for n in shipped_names() if n.startswith("images-"))
# The cost model, fitted to process times of the compiled trainer on this project's 2-core machine
# (load 11): a forward multiply-add costs ~1.2e-10 s, and each image pass ~2.2e-6 s on top
# (buffers, pooling, the loss): images-filters (20 epochs, 2.2e9 multiply-adds) 0.47 s,
# images-mlp-vs-cnn at 20 epochs (same passes, 7.9e9) 1.16 s, images-cutout-cutmix at 20 epochs 1.96 s
# (model: 1.88 s).
SECONDS_PER_MULTIPLY_ADD = 1.2e-10
SECONDS_PER_IMAGE_PASS = 2.2e-6
STEP_ESTIMATE_SECONDS = 1.0       # the app's reload and drawing add ~1 s; a step should play in 2 s
STEP_CPU_SECONDS = 3.0            # measured, on whatever machine runs the tests


def forward_multiply_adds(model) -> int:
    """Multiply-adds of one image's forward pass (convolutions at full resolution, then dense layers)."""
    if not isinstance(model, CnnModel):
        return sum(a * b for a, b in zip(model.sizes[:-1], model.sizes[1:]))
    lay = model.layout
    conv = sum(int(r[C_OUT] * r[C_IN] * model.kernel ** 2 * r[H_IN] * r[W_IN]) for r in lay.conv)
    return conv + sum(int(r[D_IN] * r[D_OUT]) for r in lay.dense)


def step_estimates(name: str) -> list[tuple[int, int, float]]:
    """(lesson step, cumulative epochs, estimated CPU seconds) of each step that trains."""
    scenario = tui_lab.load_scenario(name)
    trainers = scenario.settings.make_trainers(0)
    out, total = [], 0
    for i, lesson in enumerate(scenario.lessons):
        total += lesson.steps
        if not lesson.steps:
            continue
        seconds = 0.0
        for tr in trainers:
            # per epoch: forward and backward (~3 forward passes) of every training image, then the
            # evaluation of the training and validation images
            passes = min(total, tr.config.epochs) * (4 * tr.train_idx.size + tr.val_idx.size)
            seconds += passes * (SECONDS_PER_IMAGE_PASS + forward_multiply_adds(tr.model) * SECONDS_PER_MULTIPLY_ADD)
        out.append((i + 1, total, seconds))
    return out


def test_the_work_measure_counts_a_known_model():
    model = tui_lab.load_scenario("images-mlp-vs-cnn").settings.make_trainers(0)[0].model
    # 16 x 1 x 3x3 at 8x8, 32 x 16 x 3x3 at 4x4, then 32*2*2 -> 10
    assert forward_multiply_adds(model) == 16 * 9 * 64 + 32 * 16 * 9 * 16 + 128 * 10


@pytest.mark.parametrize("name", IMAGE_LESSONS)
def test_each_image_lesson_step_asks_for_bounded_work(name):
    steps = step_estimates(name)
    assert steps, "an image lesson trains in some step"
    for step, epochs, seconds in steps:
        assert seconds <= STEP_ESTIMATE_SECONDS, (
            f"{name} step {step} (epochs 1-{epochs}, every run) is estimated at {seconds:.2f} s of CPU, "
            f"over {STEP_ESTIMATE_SECONDS} s: fewer epochs, runs, channels or images")


@pytest.mark.parametrize("name", IMAGE_LESSONS)
def test_each_image_lesson_step_trains_within_seconds_of_cpu(name):
    scenario = tui_lab.load_scenario(name)
    scenario.settings.make_trainers(0)[0].advance(1)          # compiles / loads the kernels first
    total = 0
    for i, lesson in enumerate(scenario.lessons):
        total += lesson.steps
        if not lesson.steps:
            continue
        t0 = time.process_time()
        trainers = scenario.settings.make_trainers(0)        # as `]` does: from the start, to the step
        for tr in trainers:
            tr.advance(total)
        seconds = time.process_time() - t0
        assert all(tr.epoch == min(total, tr.config.epochs) or tr.status for tr in trainers)
        assert seconds <= STEP_CPU_SECONDS, f"{name} step {i + 1} took {seconds:.2f} s of CPU"

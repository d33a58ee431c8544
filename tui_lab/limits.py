"""Upper bounds of every size a scenario can ask for, and the memory a scenario would need.

The bounds are passed as `high=` (or `most=`) to the readers of tui_lab/scenario, which is where the loader
and the JSON Schema read them; `limits_markdown()` gathers them all into docs/limits.md
(tests/test_abuse.py checks that the page is up to date). `check_memory` estimates what a scenario would
allocate, from its settings alone, and refuses one past MEMORY_LIMIT before any work starts.
This module imports nothing heavy: the loader calls it on every scenario.
"""

from __future__ import annotations

import math

from .i18n import tr

MEMORY_LIMIT = 1 << 30          # bytes a scenario may need (estimated before it runs)
VALUE_BYTES = 150               # one number of a result: NumPy, Python list, JSON text (measured: 122 at 1M steps)
FLOAT = 8

# -- sizes (each one a reader's high= / most=) -------------------------------------------------------
MAX_STEPS = 1_000_000           # surface run.steps
MAX_EPOCHS = 100_000            # train.epochs, regularize.early_stopping
MAX_POINTS = 100_000            # data.n
MAX_OPTIMIZERS = 32             # [[optimizers]] tables
MAX_LIST = 64                   # values of one listed key (batch_size, l2, ..., degrees, widths, l2 candidates)
MAX_LESSONS = 200               # [[lesson]] entries
MAX_LESSON_STEPS = 1_000_000    # steps of one lesson (and, for surface / train, at most what the run has)
MAX_PENALTY = 1e6               # l2 / l1 penalties (beyond this a fit is only its intercept)
MAX_NOISE = 1e3                 # noise standard deviations (data.noise, grad_noise, input_noise, weight_noise)
MAX_MIXUP = 1e3                 # regularize.mixup (Beta's alpha)
MAX_COORDINATE = 1e6            # surface start coordinates and surface parameters, in absolute value

# -- a scenario's memory -----------------------------------------------------------------------------


def check_memory(top, kind: str, settings) -> None:
    """ScenarioError (one line, naming the key that drives it) when the estimate passes MEMORY_LIMIT."""
    need, key, what = estimate(kind, settings)
    if need > MEMORY_LIMIT:
        raise top.fail_at(key, tr("needs about {need} of memory ({what}); at most {most}", need=gib(need), what=what,
                                  most=gib(MEMORY_LIMIT)))


def estimate(kind: str, settings) -> tuple[int, str, str]:
    """(bytes, the key that drives them, how they come about) for a parsed scenario."""
    return {"surface": surface_memory, "train": train_memory, "validate": validate_memory,
            "conv": conv_memory}[kind](settings)


def gib(n: float) -> str:
    return f"{n / (1 << 30):.1f} GiB" if n >= 1 << 29 else f"{n / (1 << 20):.0f} MiB"


def surface_memory(st) -> tuple[int, str, str]:
    runs = len(st.optimizers)
    values = runs * (st.steps + 1) * 3                     # trajectory (x, y) and loss of every step
    return values * VALUE_BYTES, "run.steps", tr("{runs} optimizer(s) x {steps} steps", runs=runs,
                                                 steps=f"{st.steps:,}")


def layer_sizes(model) -> list[int]:
    """A [model]'s layer widths from its settings (no model is built)."""
    inputs = model.features * (model.degree if model.name == "poly" else 1)
    outputs = model.n_classes if model.n_classes > 2 else 1
    return [inputs, *(model.hidden if model.name == "mlp" else ()), outputs]


def model_bytes(model, epochs: int, rows: int) -> tuple[int, int]:
    """(bytes one trained model keeps: weights, optimizer state, copies, history;
    bytes of the training kernel's buffers while it runs on `rows` rows at a time)."""
    if model.name == "cnn":             # conv layers' maps, per image of the batch (core/cnn.py)
        from .core.cnn import workspace_bytes
        built = model.build()
        return 10 * built.n_params * FLOAT + 4 * epochs * FLOAT, workspace_bytes(built, rows)
    sizes = layer_sizes(model)
    n_params = sum((a + 1) * b for a, b in zip(sizes, sizes[1:])) + 4 * sum(sizes[1:-1])
    kept = 10 * n_params * FLOAT + 4 * epochs * FLOAT
    buffers = (4 * len(sizes) + 8) * rows * max(sizes) * FLOAT
    return kept, buffers


def train_memory(st) -> tuple[int, str, str]:
    runs = len(st.optimizers) * len(st.variants)
    n_train = st.data.sizes[0]
    config = st.variants[0].config
    rows = max((v.config.batch_size or n_train) for v in st.variants)
    kept, buffers = model_bytes(st.model, config.epochs, min(rows, n_train))
    curves = runs * 4 * config.epochs * VALUE_BYTES               # train / val loss and metric per epoch
    total = runs * kept + buffers + curves + st.data.n * 8 * FLOAT
    model_key = "model.conv" if st.model.name == "cnn" else "model.hidden"
    parts = {"train.epochs": curves + runs * 4 * config.epochs * FLOAT, model_key: runs * kept + buffers}
    key = max(parts, key=parts.get)
    if key == "train.epochs":
        what = tr("{runs} run(s) x {epochs} epochs", runs=runs, epochs=f"{config.epochs:,}")
    elif st.model.name == "cnn":
        what = tr("{runs} run(s) of a model with conv {channels}", runs=runs, channels=list(st.model.conv))
    else:
        what = tr("{runs} run(s) of a model with layers {sizes}", runs=runs, sizes=layer_sizes(st.model))
    return total, key, what


def validate_memory(st) -> tuple[int, str, str]:
    """The large arrays of each method (replicates x rows), and every fit a trained learner keeps."""
    n_train, _, n_test = st.data.sizes
    grid = 121
    method = st.method
    models, datasets, boots = getattr(st, "n_models", 0), getattr(st, "n_datasets", 0), getattr(st, "n_boot", 0)
    candidates = max(1, len(getattr(st, "degrees", []) or [0])) * max(1, len(getattr(st, "l2", []) or [0])) * \
        max(1, len(getattr(st, "widths", []) or [0]))
    terms: dict[str, tuple[int, int]] = {}          # key -> (bytes, fits)
    if method == "bootstrap":
        terms["validate.n_boot"] = (boots * ((n_train + n_test + grid) * 5 * FLOAT + 10 * VALUE_BYTES), boots)
    elif method == "bagging":
        per_set = models * n_train * 2 * FLOAT + models * n_test * 2 * FLOAT
        terms["validate.n_models"] = (models * ((n_train + grid) * 5 * FLOAT + 5 * VALUE_BYTES), models)
        terms["validate.n_datasets"] = (datasets * (n_train * 3 * FLOAT + models * n_test * 2 * FLOAT) + per_set,
                                        datasets)
    elif method == "boosting":
        terms["validate.n_models"] = (models * ((n_train + n_test + grid) * 2 * FLOAT + 5 * VALUE_BYTES), models)
    elif method == "bias_variance":
        terms["validate.n_datasets"] = (datasets * ((n_train + max(200, n_test) + grid) * 5 * FLOAT), datasets)
    else:
        folds = n_train + st.data.sizes[1] if method == "loo" else getattr(st, "k", 5)
        terms["validate.method"] = (candidates * folds * (n_train + n_test) * 2 * FLOAT, candidates * folds)
    if getattr(st, "learner", "model") == "tree":
        tree = (2 ** (getattr(st, "depth", 3) + 1)) * 3 * FLOAT
        terms = {k: (b + fits * tree, fits) for k, (b, fits) in terms.items()}
    if getattr(st, "training", None) is not None:          # logistic / mlp fits: a trained model each, kept
        kept, buffers = model_bytes(st.model, st.training.epochs, st.training.batch_size or n_train)
        terms = {k: (b + fits * kept + buffers, fits) for k, (b, fits) in terms.items()}
    key = max(terms, key=lambda k: terms[k][0])
    total = sum(b for b, _ in terms.values()) + st.data.n * 4 * FLOAT
    return total, key, tr("{method}, {fits} fits on {rows} rows", method=method, fits=f"{terms[key][1]:,}",
                          rows=f"{n_train:,}")


def conv_memory(st) -> tuple[int, str, str]:
    conv = st.conv
    entries = conv.x.size + conv.kernel.size + 2 * math.prod(conv.out_shape)
    return 2 * entries * (VALUE_BYTES + 3 * FLOAT), "conv.input", tr("{entries} array entries in the results",
                                                                       entries=f"{entries:,}")


# -- lessons -----------------------------------------------------------------------------------------


def run_length(kind: str, settings) -> int | None:
    """How far a scenario's run goes (steps or epochs), where lessons advance through it."""
    if kind == "surface":
        return settings.steps
    if kind == "train":
        return settings.variants[0].config.epochs
    return None


def clamp_lessons(kind: str, settings, lessons: list) -> None:
    """Lessons advance the run; together they never go past its end: a lesson that would is cut to
    what is left (a scenario whose run was shortened still loads, its lessons stop at the end)."""
    left = run_length(kind, settings)
    if left is None:
        return
    for lesson in lessons:
        lesson.steps = min(lesson.steps, left)
        left -= lesson.steps


# -- the documentation -------------------------------------------------------------------------------


def limit_rows() -> list[tuple[str, str, str]]:
    """(key, upper bound, note) for every bounded size, from the constants the readers use."""
    from .core import cnn
    from .core.datasets import MAX_CLASSES
    from .kinds import conv, validate
    from .scenario import MAX_DEPTH, MAX_FILE_BYTES, MAX_KEY_PARTS, datamodel
    from .scenario.datamodel import MAX_DEGREE, MAX_LAYERS, MAX_WIDTH
    from .scenario.fields import MAX_MESSAGE

    def bound(module, name: str, text: str = "{:,}") -> str | None:
        value = getattr(module, name, None)
        return None if value is None else text.format(value)

    rows = [
        ("scenario file", f"{MAX_FILE_BYTES:,} bytes", "regular files only (not a FIFO or device); UTF-8, "
                                                      "a byte-order mark is accepted"),
        ("nesting of tables and arrays", f"{MAX_DEPTH} levels", ""),
        ("parts of a dotted key", f"{MAX_KEY_PARTS}", "a.b.c = 1 has 3"),
        ("integers", "64 bits", "as TOML says; larger ones are bad input, never rounded"),
        ("memory of one scenario", gib(MEMORY_LIMIT), "estimated from the settings before any work; "
                                                      "the message names the key to lower"),
        ("[[optimizers]]", f"{MAX_OPTIMIZERS} tables", ""),
        ("[[lesson]]", f"{MAX_LESSONS} entries", ""),
        ("lesson.steps", f"{MAX_LESSON_STEPS:,}",
         "surface and train: lessons stop at the end of the run (run.steps / train.epochs)"),
        ("surface: run.steps", f"{MAX_STEPS:,}", ""),
        ("surface.start, surface parameters (a, b, ...)", f"{MAX_COORDINATE:g} in absolute value", ""),
        ("surface: data.n (linreg)", f"{MAX_POINTS:,}", "run.batch_size at most data.n"),
        ("data.n", f"{MAX_POINTS:,}", ""),
        ("data.classes", f"{MAX_CLASSES}", "spirals, blobs"),
        ("data.noise, run.grad_noise, regularize.input_noise, regularize.weight_noise", f"{MAX_NOISE:g}", ""),
        ("model.hidden", f"{MAX_LAYERS} layers of at most {MAX_WIDTH} units", ""),
        ("model.degree, validate.degrees", f"{MAX_DEGREE}", ""),
        ("validate.widths", f"{MAX_WIDTH}", ""),
        ("train.epochs", f"{MAX_EPOCHS:,}", "curves grow with the run; they are not allocated up front"),
        ("regularize.early_stopping (patience)", f"{MAX_EPOCHS:,}", ""),
        ("regularize.l2, regularize.l1, run.l2, run.l1, validate.l2", f"{MAX_PENALTY:g}", ""),
        ("regularize.mixup", f"{MAX_MIXUP:g}", ""),
        ("values of one listed key", f"{MAX_LIST}", "batch_size, regularize keys, model.init / degree, "
                                                   "validate.degrees / widths / l2 candidates"),
        ("validate.n_boot, n_models, n_datasets", f"{validate.MAX_REPLICATES:,}", ""),
        ("validate.depth (trees)", f"{validate.MAX_TREE_DEPTH}", ""),
        ("validate method loo", f"{validate.MAX_LOO_POINTS:,} train + validation points", ""),
        ("validate method leave_p_out: splits C(n, p)", bound(validate, "MAX_SPLITS"), ""),
        ("validate methods nested, leave_p_out, search: model fits in all", bound(validate, "MAX_FITS"), ""),
        ("validate.budget (search trials)", bound(validate, "MAX_SEARCH_BUDGET"), ""),
        ("model.conv (cnn)", f"{cnn.MAX_CONV_LAYERS} layers of at most {cnn.MAX_CHANNELS} channels"
         if hasattr(cnn, "MAX_CHANNELS") else None, ""),
        ("model.kernel (cnn)", bound(cnn, "MAX_KERNEL"), ""),
        ("regularize.cutout", bound(datamodel, "MAX_CUTOUT", "{} pixels"), ""),
        ("regularize.cutmix", bound(datamodel, "MAX_MIX_ALPHA", "{:g}"), ""),
        ("conv: any axis", f"{conv.MAX_SIDE:,}", ""),
        ("conv: entries of the input, kernel or output", f"{conv.MAX_ELEMENTS:,}", ""),
        ("conv: products of one pass", f"{conv.MAX_PRODUCTS:,}", ""),
        ("conv: --trace terms", f"{conv.MAX_TRACE_TERMS:,}", ""),
        ("error messages", f"{MAX_MESSAGE} characters, one line", "long values are cut, line breaks escaped"),
    ]
    return [row for row in rows if row[1] is not None]


def limits_markdown() -> str:
    rows = "\n".join(f"| {key} | {bound} | {note} |" for key, bound, note in limit_rows())
    example = gib(8 * (MAX_STEPS + 1) * 3 * VALUE_BYTES)
    return f"""# Limits

Every size a scenario can ask for has an upper bound, so no file can make the lab run out of memory or
hang. A value past a bound is bad input: one line on stderr, exit 2 (in Python, `tui_lab.ScenarioError`),
naming the key. This page is generated from the bounds the loader checks, so the two cannot disagree.

| what | at most | note |
|---|---|---|
{rows}

## Memory

Before anything runs, the lab estimates the memory a scenario needs from its settings (the curves and
trajectories it keeps, counted as they will be written to JSON, the models and their optimizer states,
the replicate arrays of the validation methods). Past {gib(MEMORY_LIMIT)} the scenario is refused, e.g.

    error: big.toml: run.steps: needs about {example} of memory (8 optimizer(s) x {MAX_STEPS:,} steps); at most {gib(MEMORY_LIMIT)}

## Stopping a run

Ctrl-C stops every command within a second, also in the middle of a compiled loop: `interrupted` on
stderr, exit code 130, and no output file is left behind (outputs are written only when the run is
complete). A headless `run` that takes longer than about a second shows a progress bar on stderr when
stderr is a terminal.

## Batch norm and a last batch of one sample

Batch norm cannot normalize a batch of a single sample (its variance is 0; torch refuses such a batch
in training). `batch_size = 1` with batch norm is bad input; when the training set leaves a last batch
of one sample (say 33 rows in batches of 16), that one-sample batch is dropped each epoch, as
`drop_last = true` would.

## Early stopping

With `early_stopping` on, a run always ends on the weights of its best validation epoch: when patience
runs out, and also when the epochs run out first.

## Output files

`tui-lab run --json PATH` and `--csv DIR`, and the lab's save and export, never destroy anything:

- a file is written whole or not at all: the text goes to a temporary file beside it, which is then
  renamed over the target;
- a symbolic link is followed: its target is written and the link stays a link;
- a FIFO or a device (`--json /dev/stdout`, a named pipe) is written directly, never replaced;
- an existing file keeps its permissions; a new file gets the ones your umask gives;
- the scenario being run is never written over (`tui-lab run mine.toml --json mine.toml` is refused);
- `--csv DIR` does not replace files already in DIR unless `--force` is given (the lab asks for an
  empty folder);
- every output is checked before any is written, so an error leaves nothing behind;
- errors name the path you gave, never a temporary file.
"""


"""Training a model of models.py on a data set: the compiled epoch loop and its Python handle.

One step is exactly a torch training loop's step: the batch's inputs (after augmentation, input
noise and mixup), the forward pass in training mode (dropout, batch statistics), the gradient of
the mean data loss (with smoothed / mixed targets), plus the l2 / l1 penalty gradients, then one
optimizer step. After each epoch the model is evaluated (evaluation mode, clean targets) on the
whole training and validation splits: those are the per-epoch `train_loss` / `val_loss`.

Batches: batch_size 0 (or >= the training set) is full batch, 1 is SGD, else mini-batches of a
fresh seeded shuffle each epoch; drop_last drops a last short batch. Every random draw comes
from the counter-based rng, indexed by the step, so a run is the same whether it is advanced in
one call or many, and every optimizer of a scenario sees the same batches and noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..i18n import tr
from . import optim
from .optim.base import probe_after, probe_before
from .datasets import Dataset
from .kernels import kernel
from .models import Model, backward, evaluate, expand, fill_targets, forward, loss_grad, predict
from .rng import key_for, normal, permutation, uniform
from .sharpness import loss_profile, top_eigenvalue

# Random streams (one key each); the same for every run of a scenario.
SHUFFLE, DROPOUT, INPUT_NOISE, WEIGHT_NOISE, MIX_NORMAL, MIX_UNIFORM, MIX_PAIR, AUGMENT = range(8)
STREAM_BASE = 0x7A1

# Data augmentations: what each does, and the data sets whose labels it preserves.
NO_AUGMENT, JITTER, MIRROR, SWAP, ODD_FLIP, ROTATE = range(6)
JITTER_SIZE = 0.05
AUGMENTS = {
    "none": {},
    "jitter": {"linear": JITTER, "sine": JITTER, "poly": JITTER, "exp_cos": JITTER, "moons": JITTER,
               "circles": JITTER, "spirals": JITTER, "xor": JITTER, "blobs": JITTER},
    "flip": {"circles": MIRROR, "xor": SWAP, "sine": ODD_FLIP, "poly": ODD_FLIP},
    "rotate": {"circles": ROTATE},
}
AUGMENT_HELP = {
    "jitter": "moves each input by up to 0.05 per coordinate",
    "flip": "mirrors a sample by a symmetry of its data set: circles x1 -> -x1, xor (x1, x2) -> (x2, x1), "
            "sine / poly (x, y) -> (-x, -y), each with probability 1/2",
    "rotate": "turns a circles sample by a random angle",
}

HISTORY_START = 1024      # epochs of history allocated at first (it grows as a run goes on)
EVAL_CHUNK = 256     # rows per pass of the per-epoch evaluation

RUNNING, EARLY_STOPPED, DIVERGED = 0, 1, 2
# A run has diverged when a loss is not finite, or when its training loss passes DIVERGE_FACTOR times
# max(1, the training loss at the initial weights): growth by six orders of magnitude is no longer
# training, even while the numbers stay finite.
DIVERGE_FACTOR = 1e6
EPOCH, STEP, BEST_EPOCH, STATUS = range(4)       # slots of `progress`
TRAIN_LOSS, VAL_LOSS, TRAIN_METRIC, VAL_METRIC = range(4)   # rows of `history`
(L2, L1, DROPOUT_RATE, INPUT_NOISE_STD, WEIGHT_NOISE_STD, SMOOTHING, MIXUP_ALPHA) = range(7)   # slots of `reg`


@dataclass
class TrainConfig:
    epochs: int = 100
    batch_size: int = 0            # 0 = full batch, 1 = SGD
    drop_last: bool = False
    l2: float = 0.0
    l1: float = 0.0
    dropout: float = 0.0
    input_noise: float = 0.0
    weight_noise: float = 0.0
    label_smoothing: float = 0.0
    mixup: float = 0.0
    augment: str = "none"
    early_stopping: int = 0        # patience in epochs; 0 = off
    sharpness: float = 0.0         # radius of the loss profile (and measure lambda_max); 0 = off

    def reg(self) -> np.ndarray:
        return np.array([self.l2, self.l1, self.dropout, self.input_noise, self.weight_noise,
                         self.label_smoothing, self.mixup])


def augment_code(augment: str, dataset: str) -> int:
    """The kernel's code for an augmentation on a data set; ValueError where it does not apply."""
    if augment == "none":
        return NO_AUGMENT
    codes = AUGMENTS[augment]
    if dataset not in codes:
        raise ValueError(tr("{augment} does not preserve the labels of {data}; it applies to {sets}",
                            augment=augment, data=dataset, sets=", ".join(codes)))
    return codes[dataset]


@njit(cache=True, nogil=True)
def batch_plan(n, batch_size, drop_last):
    """(batch size, batches per epoch) for n training points."""
    size = n if batch_size == 0 or batch_size >= n else batch_size
    return size, (n // size if drop_last else -(-n // size))


@njit(cache=True, nogil=True)
def watched_step(family, p, g, state, scalars, hp, t, probe):
    """One optimizer step: optim.step (which inlines every optimizer family) compiled once as a
    function of its own, called from the epoch loops rather than inlined into them. With a probe
    (the step inspector watching one parameter, see optim.base.probe_before) it also notes that
    parameter's numbers before and after."""
    if probe is not None:
        probe_before(probe, p, g, state, scalars, t)
    optim.step(family, p, g, state, scalars, hp, t)
    if probe is not None:
        probe_after(probe, p)


@njit(cache=True, nogil=True)
def start_epoch(keys, epoch, size, train_idx, order, epoch_rows, p, running, start_p, start_running):
    """Before an epoch, shared by every epoch loop: its rows in order (shuffled per epoch when the
    batches are smaller than the data), and the weights it starts with (a diverging epoch goes back
    to them)."""
    n = train_idx.shape[0]
    if size < n:
        permutation(keys[SHUFFLE], epoch * n, order)
    for r in range(n):
        epoch_rows[r] = train_idx[order[r]]
    start_p[:] = p
    start_running[:] = running


@njit(cache=True, nogil=True)
def close_epoch(train_loss, train_metric, val_loss, val_metric, n_val, loss_limit, patience, p, running,
                start_p, start_running, best, best_p, best_running, progress, history) -> bool:
    """The bookkeeping after an epoch's evaluation, shared by every epoch loop: divergence (a training
    or validation loss that is not finite, or a training loss past `loss_limit`: back on the weights
    the epoch started with, the epoch not counted), the history at the absolute epoch, the best
    weights, early stopping (back on the best weights). Returns whether the run stops here."""
    epoch = progress[EPOCH]
    if (not math.isfinite(train_loss) or train_loss > loss_limit
            or (n_val > 0 and not math.isfinite(val_loss))):
        p[:] = start_p      # back to the last finite weights
        running[:] = start_running
        progress[STATUS] = DIVERGED
        return True
    progress[EPOCH] = epoch + 1
    history[TRAIN_LOSS, epoch], history[VAL_LOSS, epoch] = train_loss, val_loss
    history[TRAIN_METRIC, epoch], history[VAL_METRIC, epoch] = train_metric, val_metric
    if n_val == 0 or val_loss < best[0]:
        best[0] = val_loss if n_val > 0 else train_loss
        progress[BEST_EPOCH] = epoch + 1
        if patience > 0:
            best_p[:] = p
            best_running[:] = running
    if patience > 0 and epoch + 1 - progress[BEST_EPOCH] >= patience:
        p[:] = best_p
        running[:] = best_running
        progress[STATUS] = EARLY_STOPPED
        return True
    return False


def penalty(p: np.ndarray, weight_mask: np.ndarray, l2: float, l1: float) -> float:
    """The penalty terms of the training objective: (l2 / 2) sum w^2 + l1 sum |w| over the weights."""
    w = p[weight_mask > 0.0]
    return 0.5 * l2 * float(w @ w) + l1 * float(np.abs(w).sum())


@njit(cache=True, nogil=True)
def add_penalty_grad(p, weight_mask, l2, l1, g):
    """g += the gradient of `penalty` (the subgradient 0 of |w| at w = 0)."""
    for i in range(p.shape[0]):
        g[i] += weight_mask[i] * (l2 * p[i] + l1 * np.sign(p[i]))


@njit(cache=True, nogil=True)
def _gamma(key_n, key_u, base, shape):
    """A Gamma(shape, 1) draw (Marsaglia-Tsang; shape < 1 boosted from shape + 1), counters from base."""
    boost = 1.0
    if shape < 1.0:
        boost = uniform(key_u, base) ** (1.0 / shape)
        shape += 1.0
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    for k in range(1, 128):
        x = normal(key_n, base + k)
        v = (1.0 + c * x) ** 3
        if v > 0.0 and math.log(1.0 - uniform(key_u, base + k)) < 0.5 * x * x + d - d * v + d * math.log(v):
            return d * v * boost
    return d * boost


@njit(cache=True, nogil=True)
def _augment(aug, key, t, rows, xb, T):
    """Random label-preserving transformations of the batch's samples, in place."""
    for r in range(rows):
        c = (t * xb.shape[0] + r) * 4
        if aug == JITTER:
            for k in range(xb.shape[1]):
                xb[r, k] += JITTER_SIZE * (2.0 * uniform(key, c + k) - 1.0)
        elif aug == ROTATE:
            angle = 2.0 * math.pi * uniform(key, c)
            cos, sin = math.cos(angle), math.sin(angle)
            x0, x1 = xb[r, 0], xb[r, 1]
            xb[r, 0], xb[r, 1] = cos * x0 - sin * x1, sin * x0 + cos * x1
        elif uniform(key, c) < 0.5:
            if aug == MIRROR:
                xb[r, 0] = -xb[r, 0]
            elif aug == SWAP:
                xb[r, 0], xb[r, 1] = xb[r, 1], xb[r, 0]
            else:   # ODD_FLIP: the truth is odd, so (x, y) -> (-x, -y) keeps the sample on it
                xb[r, 0] = -xb[r, 0]
                T[r, 0] = -T[r, 0]


@njit(cache=True, nogil=True)
def _mixup(alpha, keys, t, rows, xb, T, pair, xb_mixed, T_mixed):
    """Mixup (Zhang et al. 2018): lambda ~ Beta(alpha, alpha) per batch, each sample mixed with a
    random partner of the same batch, inputs and targets alike."""
    g1 = _gamma(keys[MIX_NORMAL], keys[MIX_UNIFORM], t * 256, alpha)
    g2 = _gamma(keys[MIX_NORMAL], keys[MIX_UNIFORM], t * 256 + 128, alpha)
    lam = g1 / (g1 + g2)
    permutation(keys[MIX_PAIR], t * xb.shape[0], pair[:rows])
    for r in range(rows):
        for k in range(xb.shape[1]):
            xb_mixed[r, k] = lam * xb[r, k] + (1.0 - lam) * xb[pair[r], k]
        for k in range(T.shape[1]):
            T_mixed[r, k] = lam * T[r, k] + (1.0 - lam) * T[pair[r], k]
    for r in range(rows):
        for k in range(xb.shape[1]):
            xb[r, k] = xb_mixed[r, k]
        for k in range(T.shape[1]):
            T[r, k] = T_mixed[r, k]


@njit(cache=True, nogil=True, error_model="numpy")     # as models.py's kernels
def train_epochs(p, lay, weight_mask, X, y, train_idx, val_idx, batch_size, drop_last, reg, aug, keys,
                 family, hp, state, scalars, running, progress, best, best_p, best_running, history,
                 epochs, patience, loss_limit, probe=None):
    """Up to `epochs` more epochs, in place. `progress` holds (epochs done, steps done, best epoch,
    status); `best[0]` the best validation loss so far, best_p / best_running its weights. history
    receives the per-epoch losses and metrics at the absolute epoch index. An epoch whose training
    or validation loss is not finite, or whose training loss passes `loss_limit`, ends the run as
    diverged, back on the weights it started the epoch with. Returns epochs done."""
    n = train_idx.shape[0]
    n_val = val_idx.shape[0]
    size, n_batches = batch_plan(n, batch_size, drop_last)
    n_in = X.shape[1]
    n_out = lay.sizes[lay.sizes.shape[0] - 1]
    width = 0
    for layer_size in lay.sizes:
        width = max(width, layer_size)
    layers = lay.sizes.shape[0] - 1
    hidden = max(layers - 1, 1)
    A = np.zeros((layers + 1, size, width))
    D = np.zeros((hidden, size, width))
    M = np.ones((hidden, size, width))
    XH = np.zeros((hidden, size, width))
    xb, xb_mixed = np.empty((size, n_in)), np.empty((size, n_in))
    T, T_mixed, dZ = np.empty((size, n_out)), np.empty((size, n_out)), np.empty((size, n_out))
    delta, delta_prev = np.empty((size, width)), np.empty((size, width))
    WT = np.empty((width, width))
    # The per-epoch evaluation runs in chunks of its own, larger than a small batch (fewer, fuller passes).
    chunk = max(size, min(EVAL_CHUNK, max(n, n_val)))
    eA, eD, eM = np.zeros((layers + 1, chunk, width)), np.zeros((hidden, chunk, width)), np.ones((hidden, chunk, width))
    eXH, eT, edZ = np.zeros((hidden, chunk, width)), np.empty((chunk, n_out)), np.empty((chunk, n_out))
    ISTD = np.zeros((hidden, max(chunk, width)))     # per unit (batch norm) or per row (layer norm)
    g = np.empty(p.shape[0])
    noisy_p = np.empty(p.shape[0])
    start_p, start_running = p.copy(), running.copy()
    order = np.arange(n)
    epoch_rows = np.empty(n, dtype=np.int64)      # the data rows in this epoch's order
    training = n > 0    # True as a runtime value (a literal True would compile `forward` once more)
    pair = np.empty(size, dtype=np.int64)
    l2, l1 = reg[L2], reg[L1]
    first_epoch = progress[EPOCH]
    for _ in range(epochs):
        start_epoch(keys, progress[EPOCH], size, train_idx, order, epoch_rows, p, running, start_p, start_running)
        for b in range(n_batches):
            t = progress[STEP] + 1
            start = b * size
            rows = min(start + size, n) - start
            for r in range(rows):
                for k in range(n_in):
                    xb[r, k] = X[epoch_rows[start + r], k]
            fill_targets(lay, y, epoch_rows, start, start + rows, reg[SMOOTHING], T)
            if aug != NO_AUGMENT:
                _augment(aug, keys[AUGMENT], t, rows, xb, T)
            if reg[INPUT_NOISE_STD] > 0.0:
                for r in range(rows):
                    for k in range(n_in):
                        xb[r, k] += reg[INPUT_NOISE_STD] * normal(keys[INPUT_NOISE], (t * size + r) * n_in + k)
            if reg[MIXUP_ALPHA] > 0.0:
                _mixup(reg[MIXUP_ALPHA], keys, t, rows, xb, T, pair, xb_mixed, T_mixed)
            expand(lay, xb, rows, A)
            w = p
            if reg[WEIGHT_NOISE_STD] > 0.0:   # the gradient is taken at noisy weights, applied to the clean ones
                for i in range(p.shape[0]):
                    noisy_p[i] = p[i] + weight_mask[i] * reg[WEIGHT_NOISE_STD] * normal(
                        keys[WEIGHT_NOISE], t * p.shape[0] + i)
                w = noisy_p
            forward(w, lay, rows, training, reg[DROPOUT_RATE], keys[DROPOUT], t * hidden * size * width,
                    running, A, D, M, XH, ISTD)
            loss_grad(lay, A[layers], T, rows, dZ)
            backward(w, lay, rows, True, A, D, M, XH, ISTD, dZ, g, delta, delta_prev, WT)
            if l2 != 0.0 or l1 != 0.0:
                add_penalty_grad(p, weight_mask, l2, l1, g)
            watched_step(family, p, g, state, scalars, hp, t, probe)
            progress[STEP] = t
        train_loss, train_metric = evaluate(p, lay, running, X, y, train_idx, eA, eD, eM, eXH, ISTD, eT, edZ)
        val_loss, val_metric = evaluate(p, lay, running, X, y, val_idx, eA, eD, eM, eXH, ISTD, eT, edZ)
        if close_epoch(train_loss, train_metric, val_loss, val_metric, n_val, loss_limit, patience, p, running,
                       start_p, start_running, best, best_p, best_running, progress, history):
            return progress[EPOCH] - first_epoch
    return epochs


class Trainer:
    """One optimizer training one model on one data set, advanced epoch by epoch or in chunks."""

    RANDOM_STREAMS = 8        # the keys of the epoch loop's random streams (SHUFFLE, DROPOUT, ...)

    def __init__(self, data: Dataset, splits, model: Model, optimizer: optim.Optimizer, config: TrainConfig,
                 seed: int = 0, init: str = "xavier", label: str | None = None):
        self.data = data
        self.train_idx, self.val_idx, self.test_idx = (np.ascontiguousarray(s, dtype=np.int64) for s in splits)
        self.model = model
        self.optimizer = optimizer
        self.config = config
        self.seed = seed
        self.init = init
        self.label = label or optimizer.label
        self.aug = self._augment_code()
        self.reg = config.reg()
        self.mask = model.weight_mask()
        self.keys = np.array([key_for(seed, STREAM_BASE + s) for s in range(self.RANDOM_STREAMS)], dtype=np.uint64)
        self.x = np.ascontiguousarray(data.x, dtype=np.float64)
        self.y = np.ascontiguousarray(data.y, dtype=np.float64)
        self.reset()

    def _augment_code(self) -> int:
        return augment_code(self.config.augment, self.data.name)

    def reset(self) -> None:
        self.params = self.model.init_params(self.init, self.seed)
        self.state, self.scalars = self.optimizer.init_state(self.model.n_params, self.model.weight_tensors())
        self.running = self.model.new_running()
        self.progress = np.zeros(4, dtype=np.int64)
        self.best = np.array([math.inf])
        self.best_p, self.best_running = self.params.copy(), self.running.copy()
        self.history = np.full((4, min(self.config.epochs, HISTORY_START)), math.nan)   # grown as epochs run
        self.loss_limit = math.nan      # set by the first advance (it needs the compiled evaluation)
        self._sharpness: dict | None = None

    # -- running ---------------------------------------------------------------
    @property
    def epoch(self) -> int:
        return int(self.progress[EPOCH])

    @property
    def steps(self) -> int:
        return int(self.progress[STEP])

    @property
    def status(self) -> int:
        return int(self.progress[STATUS])

    @property
    def diverged(self) -> bool:
        return self.status == DIVERGED

    @property
    def finished(self) -> bool:
        return self.status != RUNNING or self.epoch >= self.config.epochs

    def advance(self, epochs: int, probe=None) -> int:
        """Up to `epochs` more epochs (never past config.epochs); returns how many ran. `probe`
        (see optim.base.probe_before) records one parameter's last optimizer step."""
        epochs = min(epochs, self.config.epochs - self.epoch)
        if epochs <= 0 or self.status != RUNNING:
            return 0
        c = self.config
        self._make_room(self.epoch + epochs)
        if math.isnan(self.loss_limit):
            initial, _ = self.evaluate(self.train_idx)
            self.loss_limit = DIVERGE_FACTOR * max(1.0, initial) if math.isfinite(initial) else -math.inf
        done = self._train_epochs(epochs, probe)
        if c.early_stopping and self.status == RUNNING and self.epoch >= c.epochs and self.progress[BEST_EPOCH]:
            self.params[:] = self.best_p        # out of epochs before patience: still end on the best weights
            self.running[:] = self.best_running
        return done

    def drops_single_row(self) -> bool:
        """Batch norm cannot normalize a batch of one sample (its variance is 0; torch refuses it), so
        with batch norm a last batch of one row is dropped, as drop_last would."""
        n = self.train_idx.size
        size = n if self.config.batch_size == 0 or self.config.batch_size >= n else self.config.batch_size
        return self.model.batchnorm and size > 1 and n % size == 1

    def _train_epochs(self, epochs: int, probe) -> int:
        """The compiled epoch loop for this model (a CNN trainer runs its own): returns epochs done."""
        c = self.config
        return int(kernel(train_epochs)(
            self.params, self.model.layout, self.mask, self.x, self.y, self.train_idx, self.val_idx,
            c.batch_size, c.drop_last or self.drops_single_row(), self.reg, self.aug, self.keys,
            self.optimizer.family, self.optimizer.hp, self.state, self.scalars, self.running, self.progress,
            self.best, self.best_p, self.best_running, self.history, epochs, c.early_stopping, self.loss_limit,
            probe))

    def _make_room(self, epochs: int) -> None:
        """Grow the history (doubling) to hold `epochs` epochs: a long run's curves are not allocated up front."""
        if self.history.shape[1] < epochs:
            grown = np.full((4, min(self.config.epochs, max(epochs, 2 * self.history.shape[1]))), math.nan)
            grown[:, :self.history.shape[1]] = self.history
            self.history = grown

    def run(self) -> "Trainer":
        self.advance(self.config.epochs)
        return self

    # -- looking at the model -------------------------------------------------
    def curve(self, row: int) -> np.ndarray:
        return self.history[row, :self.epoch]

    def evaluate(self, idx: np.ndarray, params: np.ndarray | None = None) -> tuple[float, float]:
        """(data loss, metric) of rows idx in evaluation mode, at the current (or given) weights."""
        idx = np.ascontiguousarray(idx, dtype=np.int64)
        rows = max(1, min(idx.size, 4096))
        A, D, M, XH, ISTD = self.model.buffers(rows)
        T, dZ = np.empty((rows, self.model.n_out)), np.empty((rows, self.model.n_out))
        return kernel(evaluate)(self.params if params is None else params, self.model.layout, self.running,
                        self.x, self.y, idx, A, D, M, XH, ISTD, T, dZ)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The model's output at inputs x (n, features): the regression value, P(class 1) for two
        classes, or the class probabilities (n, classes)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.empty((x.shape[0], self.model.n_out))
        A, D, M, XH, ISTD = self.model.buffers(max(1, min(x.shape[0], 4096)))
        kernel(predict)(self.params, self.model.layout, self.running, x, A, D, M, XH, ISTD, out)
        return out[:, 0] if self.model.n_out == 1 else out

    def train_targets(self) -> np.ndarray:
        """The training split's targets as the loss sees them: y, P(class 1), or one-hot rows."""
        y = self.y[self.train_idx]
        if self.model.n_out == 1:
            return y[:, None]
        return np.eye(self.model.n_out)[y.astype(np.int64)]

    def train_loss_grad(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """(training data loss, its exact gradient) at params, over the whole training split in
        evaluation mode (running batch-norm statistics, no dropout, no penalty)."""
        return batch_loss_grad(self.model, params, self.x[self.train_idx], self.train_targets(), train=False,
                               running=self.running)

    def sharpness(self, radius: float) -> dict:
        """How sharp the minimum reached is (see core/sharpness.py): the top Hessian eigenvalue of the
        training loss, and its filter-normalised profile over alpha in [-radius, radius]."""
        eigenvalue = top_eigenvalue(lambda w: self.train_loss_grad(w)[1], self.params, self.seed)
        alphas, losses = loss_profile(lambda w: self.evaluate(self.train_idx, w)[0], self.model, self.params,
                                      self.seed, radius)
        return {"sharpness": eigenvalue, "loss_profile": {"alpha": alphas, "loss": losses}}

    def measured_sharpness(self) -> dict | None:
        """`sharpness(config.sharpness)` of the finished run, computed once; None while the run goes on
        or when the measure is off."""
        if self.config.sharpness <= 0.0 or not self.finished:
            return None
        if self._sharpness is None:
            self._sharpness = self.sharpness(self.config.sharpness)
        return self._sharpness

    def result(self) -> dict:
        """This run in the spec's JSON layout."""
        test_loss, test_metric = self.evaluate(self.test_idx)
        train_loss, train_metric = self.evaluate(self.train_idx)
        val_loss, val_metric = self.evaluate(self.val_idx)
        out = {
            "label": self.label, "optimizer": self.optimizer.name, "hyperparams": self.optimizer.hyperparams,
            "train_loss": self.curve(TRAIN_LOSS), "val_loss": self.curve(VAL_LOSS),
            "test_loss": test_loss, "train_metric": train_metric, "val_metric": val_metric,
            "test_metric": test_metric, "final_train_loss": train_loss, "final_val_loss": val_loss,
            "best_epoch": int(self.progress[BEST_EPOCH]) or None, "stopped_epoch": self.epoch,
            "early_stopped": self.status == EARLY_STOPPED, "diverged": self.diverged,
            "diverged_at": self.epoch + 1 if self.diverged else None, "steps": self.steps,
        }
        if self.model.name != "mlp":
            out["params"] = self.params.copy()
        if self.config.sharpness > 0.0:
            out.update(self.measured_sharpness() or self.sharpness(self.config.sharpness))
        return out


def batch_loss_grad(model: Model, params: np.ndarray, x: np.ndarray, targets: np.ndarray, *, train: bool = True,
                    dropout: float = 0.0, dropout_key: int = 0, running: np.ndarray | None = None
                    ) -> tuple[float, np.ndarray]:
    """(mean data loss, its gradient) of one batch x against target rows `targets` (n, outputs),
    through the same kernels as training (for gradient checks and cross-checks)."""
    rows = x.shape[0]
    A, D, M, XH, ISTD = model.buffers(rows)
    running = model.new_running() if running is None else running
    x = np.ascontiguousarray(x, dtype=np.float64)
    targets = np.ascontiguousarray(targets, dtype=np.float64).reshape(rows, model.n_out)
    expand(model.layout, x, rows, A)
    forward(params, model.layout, rows, train, dropout, np.uint64(dropout_key), 0, running, A, D, M, XH, ISTD)
    dZ = np.empty((rows, model.n_out))
    loss = loss_grad(model.layout, A[model.n_layers], targets, rows, dZ)
    g = np.empty(model.n_params)
    backward(params, model.layout, rows, train, A, D, M, XH, ISTD, dZ, g, np.empty((rows, model.width)),
             np.empty((rows, model.width)), np.empty((model.width, model.width)))
    return loss / rows, g


__all__ = ["AUGMENTS", "TrainConfig", "Trainer", "augment_code", "batch_loss_grad", "batch_plan"]

"""Training the CNN of cnn.py on an image set: the batch as the model sees it, the compiled epoch loop,
and `CnnTrainer`, the `Trainer` of core/train.py for image models (same results, curves and states).

A step is a torch training step: the batch's images, then (each where switched on) a random shift or
mirror, Cutout, Gaussian input noise, mixup and CutMix, the forward pass in training mode, the
gradient of the mean loss against the (smoothed / mixed) targets, the l2 / l1 penalty gradients, one
optimizer step. Every random draw is a function of the step counter (core/rng.py), so the batch of
step t can be rebuilt exactly for display (`batch_as_seen`).

- shift: each image moves by -1, 0 or +1 pixel along each axis (uniformly), filling with 0 (blank);
- flip: each image is mirrored left-right with probability 1/2;
- Cutout (DeVries & Taylor 2017): a square of side `cutout`, centred on a uniformly drawn pixel and
  clipped at the border, is set to 0 in every image;
- CutMix (Yun et al. 2019): per batch lambda ~ Beta(a, a), a box of sides H sqrt(1 - lambda) and
  W sqrt(1 - lambda) centred on a uniform pixel (clipped) is pasted from a random partner of the
  batch, and the targets are mixed by the pasted area: lambda' = 1 - box area / image area;
- mixup (Zhang et al. 2018) as in the other models: whole images and targets mixed by Beta(a, a).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from .cnn import backward, evaluate, forward, load_images, loss_grad, one_hot_targets, workspace
from .rng import normal, permutation, uniform
from .train import (DROPOUT, DROPOUT_RATE, EPOCH, INPUT_NOISE, INPUT_NOISE_STD, L1, L2, MIXUP_ALPHA, SHUFFLE,
                    SMOOTHING, STEP, STREAM_BASE, WEIGHT_NOISE, WEIGHT_NOISE_STD, TrainConfig, Trainer, _gamma, _mixup,
                    add_penalty_grad, batch_plan, close_epoch, start_epoch, watched_step)

# Image augmentations (the `augment` key on image sets).
IMAGE_AUGMENTS = {"none": 0, "shift": 1, "flip": 2}
NO_AUGMENT, SHIFT, FLIP = 0, 1, 2
IMAGE_AUGMENT_HELP = {"shift": "moves each image by up to one pixel along each axis",
                      "flip": "mirrors each image left-right with probability 1/2"}
# Random streams beyond core/train.py's eight (indices into the keys array).
AUGMENT_KEY, CUTOUT_KEY, CUTMIX_NORMAL, CUTMIX_UNIFORM, CUTMIX_BOX, CUTMIX_PAIR = 7, 8, 9, 10, 11, 12
N_KEYS = 13


@dataclass
class ImageTrainConfig(TrainConfig):
    cutout: int = 0             # side of the square cut out, pixels; 0 = off
    cutmix: float = 0.0         # Beta(alpha, alpha) of CutMix; 0 = off


@njit(cache=True, nogil=True)
def make_batch(X, y, epoch_rows, start, rows, t, reg, aug, cutout, cutmix, keys, n_classes,
               xb, T, pair, xb_mixed, T_mixed, boxes, mix_box):
    """xb[:rows] (flattened images) and T[:rows] (target distributions) of step t as the model sees them.
    boxes[r] <- (top, bottom, left, right) of image r's Cutout hole; mix_box <- (top, bottom, left,
    right, 1000 lambda') of the CutMix patch (all -1 when off)."""
    _, c_n, h, w = X.shape
    n_pix = c_n * h * w
    size = xb.shape[0]
    for r in range(rows):
        xb[r, :n_pix] = X[epoch_rows[start + r]].reshape(n_pix)
    one_hot_targets(y, epoch_rows, start, rows, n_classes, reg[SMOOTHING], T)
    boxes[:] = -1
    mix_box[:] = -1
    if aug != NO_AUGMENT:
        for r in range(rows):
            c = (t * size + r) * 4
            img = xb_mixed[r, :n_pix].reshape((c_n, h, w))
            src = xb[r, :n_pix].reshape((c_n, h, w))
            img[:] = 0.0
            if aug == SHIFT:
                dy, dx = int(uniform(keys[AUGMENT_KEY], c) * 3) - 1, int(uniform(keys[AUGMENT_KEY], c + 1) * 3) - 1
                for ch in range(c_n):
                    for i in range(max(0, dy), min(h, h + dy)):
                        for j in range(max(0, dx), min(w, w + dx)):
                            img[ch, i, j] = src[ch, i - dy, j - dx]
            elif uniform(keys[AUGMENT_KEY], c) < 0.5:
                for ch in range(c_n):
                    for i in range(h):
                        for j in range(w):
                            img[ch, i, j] = src[ch, i, w - 1 - j]
            else:
                img[:] = src
            xb[r, :n_pix] = xb_mixed[r, :n_pix]
    if cutout > 0:
        for r in range(rows):
            c = (t * size + r) * 2
            cy, cx = int(uniform(keys[CUTOUT_KEY], c) * h), int(uniform(keys[CUTOUT_KEY], c + 1) * w)
            y0, x0 = max(cy - cutout // 2, 0), max(cx - cutout // 2, 0)
            y1, x1 = min(cy - cutout // 2 + cutout, h), min(cx - cutout // 2 + cutout, w)
            boxes[r, 0], boxes[r, 1], boxes[r, 2], boxes[r, 3] = y0, y1, x0, x1
            img = xb[r, :n_pix].reshape((c_n, h, w))
            img[:, y0:y1, x0:x1] = 0.0
    if reg[INPUT_NOISE_STD] > 0.0:
        for r in range(rows):
            for k in range(n_pix):
                xb[r, k] += reg[INPUT_NOISE_STD] * normal(keys[INPUT_NOISE], (t * size + r) * n_pix + k)
    if reg[MIXUP_ALPHA] > 0.0:
        _mixup(reg[MIXUP_ALPHA], keys, t, rows, xb, T, pair, xb_mixed, T_mixed)
    if cutmix > 0.0:
        g1 = _gamma(keys[CUTMIX_NORMAL], keys[CUTMIX_UNIFORM], t * 256, cutmix)
        g2 = _gamma(keys[CUTMIX_NORMAL], keys[CUTMIX_UNIFORM], t * 256 + 128, cutmix)
        lam = g1 / (g1 + g2)
        ratio = math.sqrt(1.0 - lam)
        cut_h, cut_w = int(h * ratio), int(w * ratio)
        cy, cx = int(uniform(keys[CUTMIX_BOX], 2 * t) * h), int(uniform(keys[CUTMIX_BOX], 2 * t + 1) * w)
        y0, y1 = min(max(cy - cut_h // 2, 0), h), min(max(cy + cut_h // 2, 0), h)
        x0, x1 = min(max(cx - cut_w // 2, 0), w), min(max(cx + cut_w // 2, 0), w)
        lam = 1.0 - (y1 - y0) * (x1 - x0) / (h * w)
        mix_box[0], mix_box[1], mix_box[2], mix_box[3] = y0, y1, x0, x1
        mix_box[4] = int(round(1000.0 * lam))
        permutation(keys[CUTMIX_PAIR], t * size, pair[:rows])
        for r in range(rows):
            xb_mixed[r, :n_pix] = xb[r, :n_pix]
            T_mixed[r, :n_classes] = T[r, :n_classes]
        for r in range(rows):
            img = xb[r, :n_pix].reshape((c_n, h, w))
            other = xb_mixed[pair[r], :n_pix].reshape((c_n, h, w))
            img[:, y0:y1, x0:x1] = other[:, y0:y1, x0:x1]
            for k in range(n_classes):
                T[r, k] = lam * T_mixed[r, k] + (1.0 - lam) * T_mixed[pair[r], k]


@njit(cache=True, nogil=True)
def cnn_train_epochs(p, lay, weight_mask, X, y, train_idx, val_idx, batch_size, drop_last, reg, aug, cutout, cutmix,
                     keys, family, hp, state, scalars, running, progress, best, best_p, best_running, history,
                     epochs, patience, loss_limit, ws, probe=None):
    """Up to `epochs` more epochs, in place, with the bookkeeping of core/train.py's train_epochs
    (close_epoch) and its probe for the step inspector. Returns epochs done."""
    n, n_val = train_idx.shape[0], val_idx.shape[0]
    size, n_batches = batch_plan(n, batch_size, drop_last)
    n_pix = X.shape[1] * X.shape[2] * X.shape[3]
    k_n = lay.n_classes
    xb, xb_mixed = np.empty((size, n_pix)), np.empty((size, n_pix))
    T, T_mixed, dZ = np.empty((size, k_n)), np.empty((size, k_n)), np.empty((size, k_n))
    pair = np.empty(size, dtype=np.int64)
    boxes, mix_box = np.empty((size, 4), dtype=np.int64), np.empty(5, dtype=np.int64)
    g, noisy_p = np.empty(p.shape[0]), np.empty(p.shape[0])
    start_p, start_running = p.copy(), running.copy()
    order = np.arange(n)
    epoch_rows = np.empty(n, dtype=np.int64)
    no_confusion = np.zeros((0, 0), dtype=np.int64)
    training = n > 0
    S, A = ws[0], ws[6]
    last = lay.dense.shape[0]
    first_epoch = progress[EPOCH]
    for _ in range(epochs):
        start_epoch(keys, progress[EPOCH], size, train_idx, order, epoch_rows, p, running, start_p, start_running)
        for b in range(n_batches):
            t = progress[STEP] + 1
            start = b * size
            rows = min(start + size, n) - start
            make_batch(X, y, epoch_rows, start, rows, t, reg, aug, cutout, cutmix, keys, k_n, xb, T, pair,
                       xb_mixed, T_mixed, boxes, mix_box)
            for r in range(rows):
                S[0, r, :n_pix] = xb[r]
            w = p
            if reg[WEIGHT_NOISE_STD] > 0.0:
                for i in range(p.shape[0]):
                    noisy_p[i] = p[i] + weight_mask[i] * reg[WEIGHT_NOISE_STD] * normal(
                        keys[WEIGHT_NOISE], t * p.shape[0] + i)
                w = noisy_p
            forward(w, lay, rows, training, reg[DROPOUT_RATE], keys[DROPOUT], t * A.shape[1] * A.shape[2] * last,
                    running, ws)
            loss_grad(A[last], T, rows, k_n, dZ)
            backward(w, lay, rows, training, ws, dZ, g)
            if reg[L2] != 0.0 or reg[L1] != 0.0:
                add_penalty_grad(p, weight_mask, reg[L2], reg[L1], g)
            watched_step(family, p, g, state, scalars, hp, t, probe)
            progress[STEP] = t
        train_loss, train_metric = evaluate(p, lay, running, X, y, train_idx, ws, T, dZ, no_confusion)
        val_loss, val_metric = evaluate(p, lay, running, X, y, val_idx, ws, T, dZ, no_confusion)
        if close_epoch(train_loss, train_metric, val_loss, val_metric, n_val, loss_limit, patience, p, running,
                       start_p, start_running, best, best_p, best_running, progress, history):
            return progress[EPOCH] - first_epoch
    return epochs


class CnnTrainer(Trainer):
    """One optimizer training a CnnModel on an image set; the interface of core/train.py's Trainer."""

    RANDOM_STREAMS = N_KEYS

    def _augment_code(self) -> int:
        return IMAGE_AUGMENTS[self.config.augment]

    def reset(self) -> None:
        super().reset()
        # the epoch loop's scratch arrays, per reset: a reset copy (the step inspector's shadow run,
        # trained in another thread) must not share them
        c = self.config
        self.ws = workspace(self.model, max(batch_plan(self.train_idx.size, c.batch_size, c.drop_last)[0], 1))

    def _train_epochs(self, epochs: int, probe) -> int:
        """Trainer.advance's compiled loop for a CNN (history room, the divergence limit and the
        early-stopping restore come from Trainer.advance)."""
        c = self.config
        return int(cnn_train_epochs(
            self.params, self.model.layout, self.mask, self.x, self.y, self.train_idx, self.val_idx, c.batch_size,
            c.drop_last, self.reg, self.aug, c.cutout, c.cutmix, self.keys, self.optimizer.family,
            self.optimizer.hp, self.state, self.scalars, self.running, self.progress, self.best, self.best_p,
            self.best_running, self.history, epochs, c.early_stopping, self.loss_limit, self.ws, probe))

    # -- looking at the model -------------------------------------------------
    def _eval_workspace(self, rows: int):
        return workspace(self.model, max(1, min(rows, 256)))

    def evaluate(self, idx: np.ndarray, params: np.ndarray | None = None, confusion: np.ndarray | None = None
                 ) -> tuple[float, float]:
        """(loss, accuracy) of rows idx in evaluation mode; adds counts to `confusion` (K x K) when given."""
        idx = np.ascontiguousarray(idx, dtype=np.int64)
        ws = self._eval_workspace(idx.size)
        k = self.model.n_out
        rows = ws[0].shape[1]
        return evaluate(self.params if params is None else params, self.model.layout, self.running, self.x, self.y,
                        idx, ws, np.empty((rows, k)), np.empty((rows, k)),
                        np.zeros((0, 0), dtype=np.int64) if confusion is None else confusion)

    def confusion(self, idx: np.ndarray) -> np.ndarray:
        """counts[true class, predicted class] over rows idx."""
        counts = np.zeros((self.model.n_out, self.model.n_out), dtype=np.int64)
        self.evaluate(idx, confusion=counts)
        return counts

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities (n, classes) of images x (n, C, H, W) in evaluation mode."""
        return self.activations(x)[-1]

    def activations(self, x: np.ndarray) -> list[np.ndarray]:
        """What each layer gives for images x in evaluation mode: per conv layer its output after batch norm
        and activation (n, C, H, W), then the class probabilities (n, classes)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        n = x.shape[0]
        ws = workspace(self.model, max(n, 1))
        load_images(x, np.arange(n), 0, n, ws[0])
        forward(self.params, self.model.layout, n, n < 0, 0.0, np.uint64(0), 0, self.running, ws)
        maps = [ws[1][l, :n, :c * h * w].reshape(n, c, h, w).copy()
                for l, (c, h, w) in enumerate(zip(self.model.conv, (s[1] for s in self.model.shapes),
                                                  (s[2] for s in self.model.shapes)))]
        logits = ws[6][-1][:n, :self.model.n_out]
        z = np.exp(logits - logits.max(axis=1, keepdims=True))
        return [*maps, z / z.sum(axis=1, keepdims=True)]

    def first_filters(self) -> np.ndarray:
        """The first conv layer's kernels (O, C, K, K)."""
        row = self.model.layout.conv[0]
        c_out, c_in, k = row[3], row[0], self.model.kernel
        return self.params[row[6]:row[7]].reshape(c_out, c_in, k, k).copy()

    def batch_as_seen(self, step: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(images (rows, C, H, W), targets (rows, K), Cutout boxes (rows, 4), CutMix box (5,)) of training
        step `step` (default: the last one taken, or the first), rebuilt with the same random draws."""
        c = self.config
        n = self.train_idx.size
        size, n_batches = batch_plan(n, c.batch_size, c.drop_last)
        t = max(1, self.steps if step is None else step)
        epoch, b = divmod(t - 1, n_batches)
        order = np.arange(n)
        if size < n:
            permutation(self.keys[SHUFFLE], epoch * n, order)
        epoch_rows = self.train_idx[order]
        start = b * size
        rows = min(start + size, n) - start
        ch, h, w = self.x.shape[1:]
        k = self.model.n_out
        xb, xb_mixed = np.empty((size, ch * h * w)), np.empty((size, ch * h * w))
        T, T_mixed = np.empty((size, k)), np.empty((size, k))
        boxes, mix_box = np.empty((size, 4), dtype=np.int64), np.empty(5, dtype=np.int64)
        make_batch(self.x, self.y, epoch_rows, start, rows, t, self.reg, self.aug, c.cutout, c.cutmix, self.keys, k,
                   xb, T, np.empty(size, dtype=np.int64), xb_mixed, T_mixed, boxes, mix_box)
        return xb[:rows].reshape(rows, ch, h, w), T[:rows], boxes[:rows], mix_box

    def result(self) -> dict:
        out = super().result()
        out.pop("params", None)
        out["first_layer_filters"] = self.first_filters()
        return out


__all__ = ["CnnTrainer", "IMAGE_AUGMENTS", "IMAGE_AUGMENT_HELP", "ImageTrainConfig", "cnn_train_epochs",
           "make_batch"]

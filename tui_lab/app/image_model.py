"""What the Train tab shows of a model learning an image set, computed off the UI thread (no Textual here).

`image_snapshot` copies out of a trainer everything the image board draws: the current mini-batch as
the model saw it (with its Cutout holes and CutMix patch), test images with the model's predictions,
the confusion matrix and the loss / accuracy on the test split, the learned first-layer filters and,
for one chosen image, the feature map of every conv layer. `HeldOutCurve` keeps the test figures of the
epochs at which snapshots were taken, so the board can draw their curves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.cnn_train import CnnTrainer

STRIP_IMAGES = 16        # at most this many images of the batch are kept
SAMPLE_IMAGES = 16       # test images shown with their predictions
MAX_FILTERS = 16


@dataclass
class HeldOutCurve:
    """(epoch, test loss, test accuracy) at each snapshot of one run, one entry per epoch."""
    epochs: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)

    def add(self, epoch: int, loss: float, accuracy: float) -> None:
        if self.epochs and self.epochs[-1] >= epoch:
            if self.epochs[-1] == epoch:
                return
            self.epochs.clear(), self.loss.clear(), self.accuracy.clear()   # the run was reset
        self.epochs.append(epoch), self.loss.append(loss), self.accuracy.append(accuracy)


@dataclass
class ImageSnapshot:
    cnn: bool
    step: int
    batch: np.ndarray | None            # (m, C, H, W) as the model saw them; None for a dense model
    batch_targets: np.ndarray | None    # (m, K)
    batch_rows: int                     # images in the whole batch (m of them are kept)
    holes: np.ndarray | None            # (m, 4) Cutout boxes (top, bottom, left, right), -1 when none
    patch: np.ndarray | None            # (5,) CutMix box and 1000 lambda', -1 when none
    samples: np.ndarray                 # (s, C, H, W) test images
    sample_true: np.ndarray
    sample_pred: np.ndarray
    sample_conf: np.ndarray
    confusion: np.ndarray               # (K, K) counts[true, predicted] on the test split
    curve: HeldOutCurve
    filters: np.ndarray                 # cnn: first conv kernels (O, C, K, K); dense: first weights (units, C, H, W)
    chosen: int                         # index into the test split
    chosen_image: np.ndarray            # (C, H, W)
    chosen_true: int
    chosen_pred: int
    maps: list[np.ndarray]              # cnn: per conv layer (channels, h, w) of the chosen image
    layer_params: list[tuple[str, int]]
    n_params: int


def dense_first_layer(trainer, shape) -> np.ndarray:
    """A dense model's first-layer weights, one image per hidden unit (the pixels each unit weighs)."""
    model = trainer.model
    n_in, n_out = model.sizes[0], model.sizes[1]
    off = int(model.layout.w_off[0])
    weights = trainer.params[off:off + n_in * n_out].reshape(n_in, n_out).T       # (units, pixels)
    return weights[:MAX_FILTERS].reshape(-1, *shape).copy()


def dense_layer_params(model) -> list[tuple[str, int]]:
    return [(f"dense {a} -> {b}", a * b + b) for a, b in zip(model.sizes[:-1], model.sizes[1:])]


def image_snapshot(trainer, curve: HeldOutCurve, chosen: int, shape: tuple[int, int, int]) -> ImageSnapshot:
    """Everything the image board draws of one run, at its current weights. `shape` = (C, H, W)."""
    test = trainer.test_idx if trainer.test_idx.size else trainer.val_idx if trainer.val_idx.size else trainer.train_idx
    chosen = chosen % test.size
    k = trainer.model.n_out
    images = trainer.x[test].reshape(-1, *shape)
    cnn = isinstance(trainer, CnnTrainer)
    if cnn:
        confusion = trainer.confusion(test)
        loss, _ = trainer.evaluate(test)
        picks = np.r_[np.arange(min(SAMPLE_IMAGES, test.size)), chosen]
        outputs = trainer.activations(trainer.x[test[picks]])
        probs = outputs[-1]
        maps = [layer[-1] for layer in outputs[:-1]]
        batch, targets, holes, patch = trainer.batch_as_seen()
        batch_rows = batch.shape[0]
        keep = slice(0, STRIP_IMAGES)
        batch, targets, holes = batch[keep], targets[keep], holes[keep]
        filters = trainer.first_filters()[:MAX_FILTERS]
        layer_params = trainer.model.layer_params()
    else:
        all_probs = trainer.predict(trainer.x[test])
        predicted = all_probs.argmax(axis=1)
        confusion = np.zeros((k, k), dtype=np.int64)
        np.add.at(confusion, (trainer.y[test].astype(int), predicted), 1)
        loss, _ = trainer.evaluate(test)
        picks = np.r_[np.arange(min(SAMPLE_IMAGES, test.size)), chosen]
        probs = all_probs[picks]
        maps, batch, targets, holes, patch, batch_rows = [], None, None, None, None, 0
        filters = dense_first_layer(trainer, shape)
        layer_params = dense_layer_params(trainer.model)
    accuracy = float(np.trace(confusion) / max(confusion.sum(), 1))
    if trainer.epoch > 0 and np.isfinite(loss):
        curve.add(trainer.epoch, float(loss), accuracy)
    truth = trainer.y[test[picks]].astype(int)
    pred = probs.argmax(axis=1)
    return ImageSnapshot(cnn, trainer.steps, batch, targets, batch_rows, holes, patch, images[picks[:-1]],
                         truth[:-1], pred[:-1], probs.max(axis=1)[:-1], confusion,
                         HeldOutCurve(list(curve.epochs), list(curve.loss), list(curve.accuracy)),
                         filters, chosen, images[chosen], int(truth[-1]), int(pred[-1]), maps, layer_params,
                         int(trainer.model.n_params))


__all__ = ["ImageSnapshot", "HeldOutCurve", "image_snapshot"]

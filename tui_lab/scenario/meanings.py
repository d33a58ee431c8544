"""One line on what each scenario key means, for the reference, the JSON Schema and `tui-lab new`.

Types, defaults, bounds and names come from the loader's own reads (schema.py); this file only
says what a key is for. Optimizer hyperparameters take their text from their declaration
(`Hyper.help` in core/optim), surface parameters from the surface's formula. A key the loader
reads that has no meaning here fails tests/test_docs.py, so a new key cannot go undocumented.
"""

from __future__ import annotations

from ..i18n import N_

MEANINGS = {
    # every scenario
    "title": "the scenario's name, shown in the app and at the top of every output",
    "title_ko": "the title in Korean, shown when the reader reads Korean (--lang ko or a Korean locale)",
    "description": "a longer text shown with the title",
    "description_ko": "the description in Korean",
    "kind": "what the scenario does: an optimizer race, a training run, a convolution or a validation method",
    "seed": "seed of every random draw (data, initial weights, batches, noise): same file and seed, same numbers",
    "lesson": "guided lesson entries, shown one at a time in the app",
    "lesson.text": "what the lesson says at this point (state the claim its numbers show)",
    "lesson.text_ko": "the same entry in Korean; it must quote the same numbers as the English, each as often",
    "lesson.steps": "steps (or epochs, folds, terms) the simulation advances before the next entry; 0 = none",
    "optimizers": "one run per entry: an optimizer and its hyperparameters (torch.optim names and defaults)",
    "optimizers.name": "the optimizer (torch.optim's update rule and defaults)",
    "optimizers.label": "the run's name in plots and outputs (default: the optimizer's name)",
    "kind.surface": "an optimizer race on a 2-D loss surface",
    "kind.train": "a small model trained on a data set, one run per optimizer (and per listed value)",
    "kind.validate": "generalization, validation and ensembles: cross-validation, capacity, bias-variance, "
                     "bootstrap, bagging, boosting",
    "kind.conv": "a convolution step by step, forward and backward (torch.nn.functional.conv1d / conv2d)",
    # surface
    "surface": "the 2-D loss surface of the race",
    "surface.name": "which surface (its formula is in the table of surfaces below)",
    "surface.start": "the starting point [x, y] (each surface has its own default)",
    "run": "how the race runs",
    "run.steps": "optimizer steps of every run",
    "run.l2": "adds (l2/2)(x^2 + y^2) to the loss",
    "run.l1": "adds l1(|x| + |y|) to the loss",
    "run.grad_noise": "standard deviation of seeded Gaussian noise added to each gradient",
    "run.batch_size": "data-driven surface only: points per mini-batch gradient; 0 = full batch",
    "data": "the data set (train and validate kinds; the linreg surface's points)",
    "data.name": "which data set",
    "data.n": "number of points",
    "data.noise": "noise level of the data set (label noise for regression, jitter for classification)",
    "data.split": "[train, validation, test] fractions of the points",
    "data.classes": "number of classes (spirals and blobs only)",
    # train / validate
    "model": "the model trained on the data",
    "model.name": "which model",
    "model.hidden": "mlp: widths of the hidden layers",
    "model.activation": "mlp: the hidden layers' activation",
    "model.degree": "poly: the polynomial degree (a list compares several, one run each)",
    "model.conv": "cnn: output channels of each convolution layer",
    "model.kernel": "cnn: side of the square convolution kernels",
    "model.pool": "cnn: the pooling after each convolution layer",
    "model.init": "how the initial weights are drawn (a list compares several, one run each)",
    "train": "the training loop",
    "train.epochs": "passes over the training split",
    "train.batch_size": "samples per step: 1 = SGD, 0 = full batch, else mini-batches (a list: one run each)",
    "train.drop_last": "drop the last, smaller mini-batch of each epoch",
    "train.sharpness": "after training, measure the top Hessian eigenvalue (λ_max) and the loss profile along a filter-normalised direction over α in [-r, r]; 0 = off",
    "regularize": "regularizers, all off by default (a list of values: one run each)",
    "regularize.l2": "adds (l2/2) sum(w^2) over the weights (not biases) to the training loss",
    "regularize.l1": "adds l1 sum(|w|) over the weights (not biases) to the training loss",
    "regularize.dropout": "mlp: inverted-dropout rate of the hidden layers, training only",
    "regularize.batchnorm": "mlp: batch normalization of the hidden layers",
    "regularize.layernorm": "mlp: layer normalization of the hidden layers",
    "regularize.input_noise": "standard deviation of Gaussian noise on the training inputs, each step",
    "regularize.weight_noise": "standard deviation of Gaussian noise on the weights, each step",
    "regularize.label_smoothing": "classification: weight moved from the true class to all classes",
    "regularize.mixup": "alpha of the Beta(alpha, alpha) mixing of training pairs; 0 = off",
    "regularize.cutmix": "alpha of the Beta(alpha, alpha) patch mixing of training images; 0 = off",
    "regularize.cutout": "side in pixels of the square cut out of each training image; 0 = off",
    "regularize.augment": "a data augmentation of the training inputs, where the data set allows it",
    "regularize.early_stopping": "patience in epochs on the validation loss; restores the best weights; 0 = off",
    "validate": "the validation method and its settings",
    "validate.method": "which method",
    "validate.k": "number of folds (kfold) or of forward splits (timeseries)",
    "validate.degrees": "polynomial degrees compared (linear / poly models)",
    "validate.widths": "hidden-layer widths compared (mlp models)",
    "validate.l2": "closed-form ridge penalty of linear / poly fits; a list gives candidates to choose from",
    "validate.select": "how the candidate is chosen: the lowest mean loss, or the simplest within one standard error",
    "validate.n_boot": "number of bootstrap replicates",
    "validate.ci": "coverage of the bootstrap confidence interval",
    "validate.n_models": "number of models in the ensemble",
    "validate.learner": "the ensemble's base learner: the [model], a decision stump or a regression tree",
    "validate.depth": "depth of each regression tree",
    "validate.learning_rate": "boosting: shrinkage of each new model's contribution",
    "validate.n_datasets": "fresh training sets drawn from the data's generating process",
    "validate.space": "search: the hyperparameters to tune, each a [low, high] range",
    "validate.space.degree": "the polynomial degree's range [low, high] (model poly)",
    "validate.space.l2": "the ridge penalty's range [low, high]",
    "validate.budget": "search: candidates each strategy (grid, random) may try",
    "validate.p": "points held out in each split (leave_p_out)",
    "validate.outer_k": "folds of the outer loop that scores (nested)",
    "validate.inner_k": "folds of the inner loop that chooses (nested)",
    # conv
    "conv": "the convolution to step through",
    "conv.input": "the input: a 1-D list, an H x W or a C x H x W array",
    "conv.input_shape": "instead of input: [L], [H, W] or [C, H, W] of seeded small integers",
    "conv.image": "instead of input: a built-in grayscale picture",
    "conv.kernel": "the kernel: K, KH x KW, O x C x K or O x C x KH x KW array, or a named kernel",
    "conv.kernel_shape": "instead of kernel: [K], [KH, KW], [O, C, K] or [O, C, KH, KW] of seeded small integers",
    "conv.stride": "step of the kernel: an integer or [rows, columns]",
    "conv.padding": "zeros added on each side: an integer, [rows, columns], \"valid\" (none) or \"same\"",
    "conv.dilation": "spacing of the kernel's taps: an integer or [rows, columns]",
    "conv.bias": "one bias per output channel",
    "conv.mode": "cross-correlation (as torch) or convolution (the kernel flipped)",
    "conv.grad_output": "upstream gradient for the backward pass: \"ones\", \"random\" (seeded) or an array",
}


def english(text: str, /, **fields) -> str:
    return text.format(**fields) if fields else text


def meaning(path: str, key: str, reads=(), say=english) -> str:
    """The one-line meaning of a key ("" when none is written): English for the reference and the JSON Schema;
    `say=tr` puts it in the reader's language (the comments `tui-lab new` writes), through the catalogue."""
    text = MEANINGS.get(f"{path}.{key}" if path else key)
    if text:
        return say(text)
    if path == "optimizers":
        from ..core.optim import OPTIMIZERS

        helps = [h.help for spec in OPTIMIZERS.values() for h in spec.hypers if h.name == key and h.help]
        return say(helps[0]) if helps else ""
    if path == "surface":
        from ..core.surfaces import SURFACES

        owners = [s for s in SURFACES.values() if key in s.params]
        if owners:
            return say(N_("parameter {key} of the formula {formulas}"), key=key,
                       formulas="; ".join(f"{s.name}: {say(s.formula)}" for s in owners))
    return ""

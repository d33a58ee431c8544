"""The CNN's speed figure for `tui-lab bench` (cnn_epochs_per_s), and its torch twin.

The shipped CNN (conv [8, 16], 3x3, max pooling, dense 32, relu) on `digits` (60 / 20 / 20 split),
Adam lr 0.001, batch 32. One epoch is what the lab does per epoch: the shuffled mini-batch steps over
the training split, then the evaluation of the loss and accuracy on the training and validation
splits. The torch reference does the same with nn.Conv2d / nn.MaxPool2d / nn.Linear, float64, one
thread, from the same initial weights (`torch_cnn`, also used by the tests).
"""

from __future__ import annotations

import numpy as np

BENCH_SCENARIO = {
    "title": "bench cnn", "kind": "train", "seed": 0,
    "data": {"name": "digits"},
    "model": {"name": "cnn", "conv": [8, 16], "kernel": 3, "pool": "max", "hidden": [32], "activation": "relu"},
    "train": {"epochs": 1, "batch_size": 32},
    "optimizers": [{"name": "adam", "lr": 0.001}],
}


def torch_cnn(model, params: np.ndarray):
    """A torch.nn.Sequential equal to CnnModel `model` with the flat parameters `params` (float64)."""
    import torch
    from torch import nn

    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[model.activation]
    layers, at = [], 0
    c_in = model.in_shape[0]
    pads = model.pads
    for c_out in model.conv:
        if pads[0] != pads[1]:     # even kernels: torch pads "same" with the extra row / column at the end
            layers.append(nn.ZeroPad2d((pads[2], pads[3], pads[0], pads[1])))
        conv = nn.Conv2d(c_in, c_out, model.kernel, padding=0 if pads[0] != pads[1] else pads[0]).double()
        layers.append(conv)
        if model.batchnorm:
            layers.append(nn.BatchNorm2d(c_out).double())
        layers.append(act())
        if model.pool != "none":
            layers.append(nn.MaxPool2d(2) if model.pool == "max" else nn.AvgPool2d(2))
        c_in = c_out
    layers.append(nn.Flatten())
    sizes = model.sizes
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out).double())
        if i < len(sizes) - 2:
            layers.append(act())
    net = nn.Sequential(*layers)
    with torch.no_grad():
        for module in net:
            if isinstance(module, (nn.Conv2d, nn.Linear, nn.BatchNorm2d)):
                for tensor in (module.weight, module.bias):
                    tensor.copy_(torch.from_numpy(params[at:at + tensor.numel()]).reshape(tensor.shape))
                    at += tensor.numel()
    assert at == params.size
    return net


def measure_cnn_epochs(quick: bool) -> tuple[dict, dict]:
    """Epochs per second of the shipped CNN on digits, batch 32, one thread; torch beside it."""
    from . import load_scenario
    from .timing import best_time

    epochs, repeat = (2, 1) if quick else (5, 3)
    # room for the compiling epoch and best_time's warm-up call and repeats
    scenario = load_scenario({**BENCH_SCENARIO, "train": {"epochs": 1 + (repeat + 1) * epochs, "batch_size": 32}})
    trainer = scenario.settings.make_trainers(0)[0]
    trainer.advance(1)                          # compile
    ours = epochs / best_time(lambda: trainer.advance(epochs), repeat)
    refs: dict = {}
    try:
        import torch
    except ImportError:
        return {"cnn_epochs_per_s": ours}, refs
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        net = torch_cnn(trainer.model, trainer.model.init_params("xavier", 0))
        opt = torch.optim.Adam(net.parameters(), lr=0.001)
        loss_fn = torch.nn.CrossEntropyLoss()
        x, y = torch.from_numpy(trainer.x), torch.from_numpy(trainer.y).long()
        train_idx, val_idx = torch.from_numpy(trainer.train_idx), torch.from_numpy(trainer.val_idx)
        gen = torch.Generator().manual_seed(0)

        def torch_epochs():
            for _ in range(epochs):
                order = train_idx[torch.randperm(train_idx.numel(), generator=gen)]
                for start in range(0, order.numel(), 32):
                    rows = order[start:start + 32]
                    opt.zero_grad()
                    loss_fn(net(x[rows]), y[rows]).backward()
                    opt.step()
                with torch.no_grad():
                    for idx in (train_idx, val_idx):
                        logits = net(x[idx])
                        float(loss_fn(logits, y[idx])), float((logits.argmax(1) == y[idx]).double().mean())
        refs["torch"] = {"cnn_epochs_per_s": epochs / best_time(torch_epochs, repeat)}
    finally:
        torch.set_num_threads(threads)
    return {"cnn_epochs_per_s": ours}, refs


__all__ = ["BENCH_SCENARIO", "measure_cnn_epochs", "torch_cnn"]

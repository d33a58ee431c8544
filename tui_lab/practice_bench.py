"""The practice exercise's timing for `tui-lab bench` (practice_s), beside the same loop in PyTorch.

Ours is `run_scenario("practice-sgd-momentum-adam")`: SGD, Momentum and Adam each train the MLP
1-64-64-1 (tanh, He init) on exp_cos for 80 epochs of 125 shuffled batches of 64 (10,000 optimizer
steps), evaluating the training and validation losses after every epoch. The torch reference does
exactly that work with nn.Linear / nn.Tanh / torch.optim, float64, one thread, from the same initial
weights and on the same data and split. With quick=True both train for 8 epochs instead of 80. Each is timed once
(a full run takes seconds), after a one-epoch run that compiles or loads our kernels.
"""

from __future__ import annotations

import numpy as np

import time

PRACTICE = "practice-sgd-momentum-adam"
QUICK_EPOCHS = 8


def torch_mlp(model, params: np.ndarray):
    """A torch.nn.Sequential equal to the dense MLP `model` (no batch norm) with flat parameters `params`."""
    import torch
    from torch import nn

    act = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}[model.activation]
    layers = []
    for l in range(model.n_layers):
        fan_in, fan_out = model.sizes[l], model.sizes[l + 1]
        dense = nn.Linear(fan_in, fan_out).double()
        w_off, b_off = model.layout.w_off[l], model.layout.b_off[l]
        with torch.no_grad():     # ours is fan_in x fan_out, row-major; torch's weight is fan_out x fan_in
            dense.weight.copy_(torch.from_numpy(params[w_off:w_off + fan_in * fan_out].reshape(fan_in, fan_out).T))
            dense.bias.copy_(torch.from_numpy(params[b_off:b_off + fan_out]))
        layers += [dense, act()] if l < model.n_layers - 1 else [dense]
    return nn.Sequential(*layers)


def torch_practice(raw: dict) -> None:
    """The practice loop in torch: every optimizer, every epoch's shuffled batches, then the evaluation."""
    import torch

    from .core.optim import Optimizer
    from .scenario import load_scenario

    scenario = load_scenario(raw)
    st = scenario.settings
    data, train_idx, val_idx, _ = st.data.build()
    model = st.variants[0].model.build()
    init = model.init_params(st.variants[0].model.init, scenario.seed)
    config = st.variants[0].config
    x, y = torch.from_numpy(data.x), torch.from_numpy(data.y[:, None])
    xt, yt, xv, yv = x[train_idx], y[train_idx], x[val_idx], y[val_idx]
    n = len(train_idx)
    torch_optims = {"sgd": torch.optim.SGD, "momentum": torch.optim.SGD, "adam": torch.optim.Adam}
    for opt in st.optimizers:
        hp = dict(Optimizer(opt.name, opt.hyperparams).hyperparams)
        hp = {k: (tuple(v) if isinstance(v, list) else v) for k, v in hp.items()
              if k in ("lr", "momentum", "dampening", "weight_decay", "nesterov", "betas", "eps", "amsgrad")}
        net = torch_mlp(model, init)
        optimizer = torch_optims[opt.name](net.parameters(), **hp)
        gen = torch.Generator().manual_seed(scenario.seed)
        for _ in range(config.epochs):
            order = torch.randperm(n, generator=gen)
            for start in range(0, n, config.batch_size):
                b = order[start:start + config.batch_size]
                optimizer.zero_grad()
                loss = ((net(xt[b]) - yt[b]) ** 2).mean()
                loss.backward()
                optimizer.step()
            with torch.no_grad():
                float(((net(xt) - yt) ** 2).mean()), float(((net(xv) - yv) ** 2).mean())


def seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure_practice(quick: bool) -> tuple[dict, dict]:
    """Seconds of the practice exercise's headless run (three optimizers), and of torch's same loop."""
    from . import run_scenario
    from .bench import have_torch
    from .scenario import load_scenario

    raw = load_scenario(PRACTICE).raw
    run_scenario({**raw, "train": {**raw["train"], "epochs": 1}})     # compiles (or loads) the kernels
    if quick:
        raw = {**raw, "train": {**raw["train"], "epochs": QUICK_EPOCHS}}
    ours = seconds(lambda: run_scenario(raw))
    refs: dict = {}
    if have_torch():
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            refs["torch"] = {"practice_s": seconds(lambda: torch_practice(raw))}
        finally:
            torch.set_num_threads(threads)
    return {"practice_s": ours}, refs

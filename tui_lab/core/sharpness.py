"""How sharp a trained model's minimum is: the top Hessian eigenvalue and a 1-D loss profile.

Both look at the training data loss (no penalty terms) over the whole training split in evaluation
mode, as a function of the flat parameter vector w:
  - `top_eigenvalue`: the largest eigenvalue lambda_max of the Hessian H = d^2 L / dw^2, by power
    iteration on Hessian-vector products. H v is the central difference of the exact gradient,
    (g(w + h v) - g(w - h v)) / (2h) for a unit vector v, whose error is O(h^2) (h = 1e-4 here).
    Power iteration converges to the eigenvalue of largest magnitude; at a minimum that is lambda_max.
  - `loss_profile`: L(w + alpha d) along one random direction d, filter-normalised as in Li et al.
    (2018), "Visualizing the loss landscape of neural nets": d is Gaussian, then each unit's incoming
    weights (one column of a fan_in x fan_out weight matrix) are rescaled to the norm of the model's own
    weights into that unit, and biases / batch-norm parameters are left out (d = 0 there). Profiles of
    different models are then comparable whatever the scale of their weights.
Seeded: the same seed gives the same start vector and direction, so runs of one scenario are compared
along equally drawn directions.
"""

from __future__ import annotations

import numpy as np

from .models import Model

HVP_STEP = 1e-4
POWER_ITERATIONS = 100
POWER_TOLERANCE = 1e-6        # stop once lambda changes by less than this, relatively
SHARPNESS_STREAM = 0x5A4


def hessian_vector(grad, w: np.ndarray, v: np.ndarray, h: float = HVP_STEP) -> np.ndarray:
    """H(w) v by the central difference of the gradient function grad(w)."""
    return (grad(w + h * v) - grad(w - h * v)) / (2.0 * h)


def top_eigenvalue(grad, w: np.ndarray, seed: int, iterations: int = POWER_ITERATIONS) -> float:
    """The Hessian's eigenvalue of largest magnitude at w (power iteration on hessian_vector)."""
    rng = np.random.default_rng([seed, SHARPNESS_STREAM])
    v = rng.standard_normal(w.size)
    v /= np.linalg.norm(v)
    eigenvalue = 0.0
    for _ in range(iterations):
        hv = hessian_vector(grad, w, v)
        new = float(v @ hv)             # the Rayleigh quotient of the current unit vector
        norm = float(np.linalg.norm(hv))
        if norm == 0.0 or not np.isfinite(norm):
            return new
        v = hv / norm
        if abs(new - eigenvalue) <= POWER_TOLERANCE * abs(new):
            return new
        eigenvalue = new
    return eigenvalue


def filter_normalized_direction(model: Model, w: np.ndarray, seed: int) -> np.ndarray:
    """A random direction with each unit's incoming weights scaled to the norm of w's (Li et al. 2018)."""
    rng = np.random.default_rng([seed, SHARPNESS_STREAM, 1])
    d = np.zeros_like(w)
    for l in range(model.n_layers):
        fan_in, fan_out, off = model.sizes[l], model.sizes[l + 1], model.layout.w_off[l]
        block = rng.standard_normal((fan_in, fan_out))
        weights = w[off:off + fan_in * fan_out].reshape(fan_in, fan_out)
        scale = np.linalg.norm(weights, axis=0) / np.maximum(np.linalg.norm(block, axis=0), 1e-300)
        d[off:off + fan_in * fan_out] = (block * scale).ravel()
    return d


def loss_profile(loss, model: Model, w: np.ndarray, seed: int, radius: float, points: int = 21
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(alphas, loss(w + alpha d)) for alpha evenly spaced over [-radius, radius]."""
    d = filter_normalized_direction(model, w, seed)
    alphas = np.linspace(-radius, radius, points)
    return alphas, np.array([loss(w + a * d) for a in alphas])

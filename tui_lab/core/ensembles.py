"""Compiled fitting kernels for the validation lab: ridge polynomials, decision stumps, resampling.

Everything here works on plain float64 arrays: x is (n, d), y is (n,). A polynomial model of
degree p uses the powers x_j^1..p of every input j (no cross terms) plus a bias, as the train
kind's poly model does; the data sets' inputs lie in [-1, 1], where high powers stay well
scaled. Many fits at once (one per
row of an index matrix) run in parallel; each fit depends only on its own rows, so results are
bit-identical however the work is split.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .rng import uniform


@njit(cache=True, nogil=True)
def poly_features(x, degree):
    """(n, d*degree) powers x_j^1..degree, grouped by input."""
    n, d = x.shape
    out = np.empty((n, d * degree))
    for i in range(n):
        for j in range(d):
            u = x[i, j]
            power = 1.0
            for p in range(degree):
                power *= u
                out[i, j * degree + p] = power
    return out


@njit(cache=True, nogil=True, parallel=True)
def ridge_designs(x, y, idx, degree, l2):
    """Least-squares systems (A, b), one per row of idx (rows of x/y to fit, repeats allowed),
    whose solutions minimise mean((Fw + c - y)^2) + (l2/2)|w|^2 with the bias c last and not
    penalised: F stacked over sqrt(n*l2/2)*I."""
    reps, n = idx.shape
    p = x.shape[1] * degree
    rows = n + p if l2 > 0.0 else n
    a = np.zeros((reps, rows, p + 1))
    b = np.zeros((reps, rows))
    root = math.sqrt(n * l2 / 2.0)
    for r in prange(reps):
        fill_design(a[r], b[r], x, y, idx[r], degree, root)
    return a, b


@njit(cache=True, nogil=True)
def fill_design(a, b, x, y, rows, degree, root):
    feats = poly_features(x[rows], degree)
    n, p = feats.shape
    for i in range(n):
        for j in range(p):
            a[i, j] = feats[i, j]
        a[i, p] = 1.0
        b[i] = y[rows[i]]
    if root > 0.0:
        for j in range(p):
            a[n + j, j] = root


def ridge_fit_many(x, y, idx, degree, l2) -> np.ndarray:
    """(reps, p+1) weights, bias last, one ridge fit per row of idx. Solved through the SVD
    (pseudo-inverse), so a design with more weights than points gets the minimum-norm fit."""
    a, b = ridge_designs(x, y, np.atleast_2d(idx), degree, l2)
    return np.einsum("rij,rj->ri", np.linalg.pinv(a), b)


def ridge_predict_many(weights, xq, degree) -> np.ndarray:
    """(reps, q) predictions of each weight vector at the query points."""
    feats = poly_features(xq, degree)
    return weights[:, :-1] @ feats.T + weights[:, -1:]


@njit(cache=True, nogil=True)
def sorted_orders(x):
    """(d, n): for each input, the row order that sorts it (stable)."""
    n, d = x.shape
    order = np.empty((d, n), dtype=np.int64)
    for j in range(d):
        order[j] = np.argsort(x[:, j], kind="mergesort")
    return order


@njit(cache=True, nogil=True)
def stump_fit(x, r, order):
    """The decision stump (feature, threshold, left value, right value) with the least squared
    error on targets r: every split between distinct sorted values, found with running sums.
    With no possible split it predicts the mean on both sides (feature 0, threshold +inf)."""
    n, d = x.shape
    total = 0.0
    for i in range(n):
        total += r[i]
    best_gain = -1.0
    best = (0, math.inf, total / n, total / n)
    for j in range(d):
        left = 0.0
        for k in range(n - 1):
            i = order[j, k]
            nxt = order[j, k + 1]
            left += r[i]
            if x[nxt, j] == x[i, j]:
                continue
            n_left = k + 1
            right = total - left
            gain = left * left / n_left + right * right / (n - n_left)
            if gain > best_gain:
                best_gain = gain
                best = (j, 0.5 * (x[i, j] + x[nxt, j]), left / n_left, right / (n - n_left))
    return best


@njit(cache=True, nogil=True)
def tree_fit(x, r, depth):
    """A regression tree grown level by level to `depth` (1 = a stump), each split the best stump
    on its node's rows. Nodes are stored heap-style (children of node i: 2i+1, 2i+2) as rows of
    (feature or -1 for a leaf, threshold, mean target of the node)."""
    n = x.shape[0]
    nodes = np.zeros((2 ** (depth + 1) - 1, 3))
    nodes[:, 0] = -1.0
    node_of_row = np.zeros(n, dtype=np.int64)
    for level in range(depth + 1):
        for node in range(2 ** level - 1, 2 ** (level + 1) - 1):
            rows = np.nonzero(node_of_row == node)[0]
            if rows.size == 0:
                continue
            sub_x = x[rows]
            sub_r = r[rows]
            nodes[node, 2] = np.mean(sub_r)
            if level == depth or rows.size < 2:
                continue
            feature, threshold, _, _ = stump_fit(sub_x, sub_r, sorted_orders(sub_x))
            if threshold == math.inf:
                continue
            nodes[node, 0] = feature
            nodes[node, 1] = threshold
            for i in rows:
                node_of_row[i] = 2 * node + 1 if x[i, feature] <= threshold else 2 * node + 2
    return nodes


@njit(cache=True, nogil=True)
def tree_predict(nodes, xq):
    out = np.empty(xq.shape[0])
    for i in range(xq.shape[0]):
        node = 0
        while nodes[node, 0] >= 0.0:
            node = 2 * node + 1 if xq[i, int(nodes[node, 0])] <= nodes[node, 1] else 2 * node + 2
        out[i] = nodes[node, 2]
    return out


@njit(cache=True, nogil=True, parallel=True)
def tree_fit_many(x, y, idx, depth):
    """(reps, nodes, 3) trees, one per row of idx."""
    reps = idx.shape[0]
    trees = np.empty((reps, 2 ** (depth + 1) - 1, 3))
    for r in prange(reps):
        trees[r] = tree_fit(x[idx[r]], y[idx[r]], depth)
    return trees


@njit(cache=True, nogil=True)
def tree_predict_many(trees, xq):
    out = np.empty((trees.shape[0], xq.shape[0]))
    for r in range(trees.shape[0]):
        out[r] = tree_predict(trees[r], xq)
    return out


@njit(cache=True, nogil=True)
def bootstrap_indices(key, reps, n, m):
    """(reps, m) row indices drawn uniformly with replacement from 0..n-1; replicate r uses the
    counters r*m .. r*m+m-1 of the stream, so any replicate can be redrawn on its own."""
    idx = np.empty((reps, m), dtype=np.int64)
    for r in range(reps):
        for i in range(m):
            idx[r, i] = min(int(uniform(key, r * m + i) * n), n - 1)
    return idx


def running_mean(preds: np.ndarray) -> np.ndarray:
    """Row m: the mean of rows 0..m (the ensemble of the first m+1 models), accumulated in order."""
    counts = np.arange(1, preds.shape[0] + 1).reshape(-1, *([1] * (preds.ndim - 1)))
    return np.cumsum(preds, axis=0) / counts

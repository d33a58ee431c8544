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

from .kernels import kernel
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


@njit(cache=True, nogil=True)
def ridge_designs(x, y, idx, degree, l2):
    """Least-squares systems (A, b), one per row of idx (rows of x/y to fit, repeats allowed),
    whose solutions minimise mean((Fw + c - y)^2) + (l2/2)|w|^2 with the bias c last and not
    penalised: F stacked over sqrt(n*l2/2)*I. Serial: filling is cheap next to the solve, and a
    parallel region's start-up cost (tens of ms on a busy machine) dwarfed it."""
    reps, n = idx.shape
    p = x.shape[1] * degree
    rows = n + p if l2 > 0.0 else n
    a = np.zeros((reps, rows, p + 1))
    b = np.zeros((reps, rows))
    root = math.sqrt(n * l2 / 2.0)
    for r in range(reps):
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
    a, b = kernel(ridge_designs)(x, y, np.atleast_2d(idx), degree, l2)
    return np.einsum("rij,rj->ri", np.linalg.pinv(a), b)


def ridge_predict_many(weights, xq, degree) -> np.ndarray:
    """(reps, q) predictions of each weight vector at the query points."""
    feats = kernel(poly_features)(xq, degree)
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


# -- AdaBoost (discrete SAMME) with decision stumps, as scikit-learn computes it --------------------
# scikit-learn's AdaBoostClassifier (algorithm SAMME) boosts DecisionTreeClassifier(max_depth=1): a
# stump chosen by weighted Gini impurity on float32 inputs, with thresholds halfway between
# neighbouring sorted values and values closer than FEATURE_TIE taken as equal. The kernels below do
# the same so a fit here and there agree to rounding (tests/test_validate_adaboost.py checks it).

FEATURE_TIE = 1e-7                           # scikit-learn's FEATURE_THRESHOLD
WEIGHT_FLOOR = np.finfo(np.float64).eps      # scikit-learn clips sample weights at this before each round


def as_float32_values(x: np.ndarray) -> np.ndarray:
    """The inputs as a scikit-learn tree sees them (float32), held in float64 for the kernels."""
    return np.ascontiguousarray(x, dtype=np.float32).astype(np.float64)


@njit(cache=True, nogil=True)
def gini_stump(x, y, w, n_classes, order):
    """The stump (feature, threshold, class if x <= threshold, class otherwise) that most lowers the
    weighted Gini impurity of labels y (0..n_classes-1) under weights w; feature -1 when no input
    can split (every prediction then is the heaviest class). Ties keep the first split found."""
    n, d = x.shape
    total = np.zeros(n_classes)
    w_total = 0.0
    for i in range(n):
        total[y[i]] += w[i]
        w_total += w[i]
    left = np.empty(n_classes)
    best_proxy = -np.inf
    best_feature, best_threshold = -1, 0.0
    best_left = np.zeros(n_classes)
    for j in range(d):
        left[:] = 0.0
        w_left = 0.0
        for k in range(n - 1):
            i = order[j, k]
            left[y[i]] += w[i]
            w_left += w[i]
            a, b = x[i, j], x[order[j, k + 1], j]
            if b <= a + FEATURE_TIE:
                continue
            w_right = w_total - w_left
            sq_left, sq_right = 0.0, 0.0
            for c in range(n_classes):
                sq_left += left[c] * left[c]
                sq_right += (total[c] - left[c]) * (total[c] - left[c])
            gini_left = 1.0 - sq_left / (w_left * w_left)
            gini_right = 1.0 - sq_right / (w_right * w_right)
            proxy = -w_right * gini_right - w_left * gini_left
            if proxy > best_proxy:
                best_proxy = proxy
                best_feature = j
                best_threshold = a / 2.0 + b / 2.0
                if best_threshold == b or math.isinf(best_threshold):
                    best_threshold = a
                best_left[:] = left
    if best_feature < 0:
        heaviest = np.argmax(total)
        return -1, 0.0, heaviest, heaviest
    return best_feature, best_threshold, np.argmax(best_left), np.argmax(total - best_left)


@njit(cache=True, nogil=True)
def stump_predict(stump, x, i):
    feature = int(stump[0])
    if feature < 0 or x[i, feature] <= stump[1]:
        return int(stump[2])
    return int(stump[3])


@njit(cache=True, nogil=True)
def adaboost_fit(x, y, n_classes, rounds, learning_rate, history):
    """Discrete SAMME: each round fits a stump to the weighted rows, weights it by
    alpha = learning_rate (log((1 - err) / err) + log(K - 1)) and multiplies the weights of the rows
    it misclassifies by exp(alpha). Stops early, as scikit-learn does, when a stump is perfect (it
    is kept, weight 1) or no better than chance (it is dropped). Row m of `history` (if it has
    that many rows) receives the weights stump m was fit to. Returns (stumps (m, 4): feature,
    threshold, left class, right class; alphas (m,); weighted errors (m,); the largest weight each
    stump was fit to, times n (1 = all rows equal) (m,))."""
    n = x.shape[0]
    order = sorted_orders(x)
    w = np.full(n, 1.0 / n)
    stumps = np.zeros((rounds, 4))
    alphas = np.zeros(rounds)
    errors = np.ones(rounds)
    peaks = np.ones(rounds)
    wrong = np.zeros(n, dtype=np.bool_)
    fitted = 0
    for m in range(rounds):
        for i in range(n):
            w[i] = max(w[i], WEIGHT_FLOOR)
        if m < history.shape[0]:
            history[m] = w
        peaks[m] = w.max() * n / w.sum()
        feature, threshold, left_class, right_class = gini_stump(x, y, w, n_classes, order)
        stumps[m, 0], stumps[m, 1], stumps[m, 2], stumps[m, 3] = feature, threshold, left_class, right_class
        weighted_wrong, w_sum = 0.0, 0.0
        for i in range(n):
            wrong[i] = stump_predict(stumps[m], x, i) != y[i]
            weighted_wrong += w[i] * wrong[i]
            w_sum += w[i]
        error = weighted_wrong / w_sum
        if error <= 0.0:
            alphas[m], errors[m] = 1.0, 0.0
            fitted = m + 1
            break
        if error >= 1.0 - 1.0 / n_classes:
            break
        alpha = learning_rate * (math.log((1.0 - error) / error) + math.log(n_classes - 1.0))
        alphas[m], errors[m] = alpha, error
        fitted = m + 1
        if m == rounds - 1:
            break
        total = 0.0
        for i in range(n):
            if wrong[i]:
                w[i] = math.exp(math.log(w[i]) + alpha)
            total += w[i]
        if not math.isfinite(total) or total <= 0.0:
            break
        for i in range(n):
            w[i] /= total
    return stumps[:fitted], alphas[:fitted], errors[:fitted], peaks[:fitted]


@njit(cache=True, nogil=True)
def adaboost_staged(stumps, alphas, x, y, n_classes, keep_classes):
    """After each round m, the ensemble of stumps 0..m on rows x with labels y: (error rate, mean
    cross-entropy of its class probabilities) per round, and, with keep_classes, the predicted class
    of every row per round (rounds, n; else (0, n)). The decision is scikit-learn's: votes alpha for the stump's class and
    -alpha/(K-1) for the others, divided by the sum of alphas; probabilities are its softmax of the
    decision / (K-1) (for two classes, the logistic of the class-1 margin)."""
    rounds, n = alphas.size, x.shape[0]
    score = np.zeros((n, n_classes))
    error = np.zeros(rounds)
    loss = np.zeros(rounds)
    classes = np.zeros((rounds if keep_classes else 0, n), dtype=np.int8)
    norm = 0.0
    other = -1.0 / (n_classes - 1)
    for m in range(rounds):
        norm += alphas[m]
        wrong, nll = 0.0, 0.0
        for i in range(n):
            vote = stump_predict(stumps[m], x, i)
            for c in range(n_classes):
                score[i, c] += alphas[m] if c == vote else other * alphas[m]
            if n_classes == 2:
                margin = score[i, 1] / norm - score[i, 0] / norm
                best = 1 if margin > 0.0 else 0
                p_one = 1.0 / (1.0 + math.exp(-margin))
                p_true = p_one if y[i] == 1 else 1.0 - p_one
            else:
                best = 0
                top = -np.inf
                for c in range(n_classes):
                    if score[i, c] > top:
                        top, best = score[i, c], c
                scale = norm * (n_classes - 1.0)
                z = 0.0
                for c in range(n_classes):
                    z += math.exp((score[i, c] - top) / scale)
                p_true = math.exp((score[i, y[i]] - top) / scale) / z
            if keep_classes:
                classes[m, i] = best
            wrong += best != y[i]
            nll -= math.log(min(max(p_true, 1e-12), 1.0))
        error[m] = wrong / n
        loss[m] = nll / n
    return error, loss, classes

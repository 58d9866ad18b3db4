"""Cost families for the assignment benchmarks: the easy i.i.d. ReLU-Gaussian costs and the
hard ones real networks produce (issue 8).

Every family gives B problems A_b = X_b Y_b^T (S x S, to be maximised) from two sets of
per-position feature vectors. What makes a family hard for a shortest-augmenting-path
solver is how much the position norms vary: when a few rows and columns carry most of the
norm, most rows prefer the same few columns and augmenting paths get long.

- relu: max(N(0, 1), 0) features (C = 512 for S <= 196, else 64). Easy.
- gamma: the same features with every position scaled by its own Gamma(2, 1) draw (norms
  vary by a factor ~10 within a sample, as objects against background do). Hard.
- photo: the package's builtin_activations, batch-normed CNN maps of real photographs
  (64 channels; S = 49, 196, 784, 3136 are 7^2 ... 56^2 grids). Hard.
- tokens: ReLU features where ~2% of the tokens (at least one) carry 10-50x the norm of the
  rest, as ViT outlier / register tokens do. Hard.
"""

from __future__ import annotations

import numpy as np

EASY = ("relu",)
HARD = ("gamma", "photo", "tokens")


def channels(s: int) -> int:
    return 512 if s <= 196 else 64


def relu_features(rng, b, s, c):
    return np.maximum(rng.standard_normal((b, s, c), dtype=np.float32), 0)


def gamma_features(rng, b, s, c):
    x = relu_features(rng, b, s, c)
    return x * rng.gamma(2.0, 1.0, size=(b, s, 1)).astype(np.float32)


def token_features(rng, b, s, c):
    x = relu_features(rng, b, s, c)
    k = max(1, s // 50)
    for i in range(b):
        idx = rng.choice(s, size=k, replace=False)
        x[i, idx] *= rng.uniform(10.0, 50.0, size=(k, 1)).astype(np.float32)
    return x


_PHOTO_CACHE: dict[tuple[int, int, int], np.ndarray] = {}


def photo_features(rng, b, s, c=None):
    """b samples of (s, 64) builtin_activations (seeded by the rng, cached per size)."""
    from semrsm_native.matcher_bench import builtin_activations

    seed = int(rng.integers(1 << 30))
    key = (s, b, seed)
    if key not in _PHOTO_CACHE:
        a = builtin_activations(s, n=max(b, 2), seed=seed)[:b]  # (b, 64, side, side)
        _PHOTO_CACHE[key] = np.ascontiguousarray(a.reshape(b, a.shape[1], s).transpose(0, 2, 1))
    return _PHOTO_CACHE[key]


MAKERS = {"relu": relu_features, "gamma": gamma_features, "photo": photo_features, "tokens": token_features}


def features(family: str, rng, b: int, s: int) -> np.ndarray:
    """(b, s, C) float32 features of one family."""
    return MAKERS[family](rng, b, s, channels(s))


def costs(family: str, rng, b: int, s: int, dtype=np.float32):
    """(b, s, s) affinities A = X Y^T (maximise) and the row / column norms."""
    x, y = features(family, rng, b, s), features(family, rng, b, s)
    a = np.matmul(x, y.transpose(0, 2, 1)).astype(dtype)
    return a, np.linalg.norm(x, axis=2), np.linalg.norm(y, axis=2)

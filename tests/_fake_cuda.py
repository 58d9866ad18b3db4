"""A stand-in for ``semrsm_native._cuda`` that computes on the CPU (test helper).

It has the binding's exact signatures and computes every launch through the test-only
module ``_cuda_testing``, the CPU instantiation of the GPU's own pipeline (``host_rsm``: the
pair enumeration, the team matchers and the result sink, d2 included; ``host_gram``;
``host_solve``), reading the raw pointers and strides it is handed; the kernels are finished
in NumPy by the formulas of ``kernels.hpp``. Every launch's arguments are kept in ``calls``.
CPU memory plays device memory: see :func:`emulate_gpu`.
"""

from __future__ import annotations

import ctypes

import numpy as np


class FakeCuda:
    def __init__(self, real):
        self.real = real  # semrsm_native._cuda_testing
        self.calls: list[tuple[str, dict]] = []

    @staticmethod
    def _view(ptr, dtype, shape, strides):
        dt = np.dtype(dtype)
        extent = 1 + sum((s - 1) * st for s, st in zip(shape, strides)) if all(shape) else 0
        buf = (ctypes.c_char * max(extent * dt.itemsize, 1)).from_address(ptr)
        base = np.frombuffer(buf, dtype=dt)
        return np.lib.stride_tricks.as_strided(base, shape, [st * dt.itemsize for st in strides])

    @staticmethod
    def _write(ptr, arr):
        arr = np.ascontiguousarray(arr)
        ctypes.memmove(ptr, arr.ctypes.data, arr.nbytes)

    def _record(self, name, args):
        args = dict(args)
        del args["self"]
        self.calls.append((name, args))

    def build_info(self):
        return {"cuda_device_count": 1, "cuda_error": None}

    def semantic_rsm(self, x, y, matcher, cosine_cost, precision, eps_rel, eps_factor, linear, cosine, rbf, perm,
                     sigma, device, stream, placement="auto", max_tile_pairs=0, d2=0):
        self._record("semantic_rsm", locals())
        X = self._view(x[0], x[1], x[2:5], x[5:8])
        Y = None if y is None else self._view(y[0], y[1], y[2:5], y[5:8])
        lin, dist, pm = self.real.host_rsm(np.array(X), None if Y is None else np.array(Y), matcher, cosine_cost,
                                           max_tile_pairs or 1000)
        Yv = X if Y is None else Y
        xs = (X.astype(np.float64) ** 2).sum((1, 2))
        ys = (Yv.astype(np.float64) ** 2).sum((1, 2))
        self._write(linear, lin)
        if d2:
            self._write(d2, dist)
        self._finish(lin, dist, xs, ys, Y is None, cosine, rbf, sigma)
        if perm:
            self._write(perm, pm)

    def spatio_rsm(self, x, y, dtype, n, m, F, symmetric, linear, cosine, rbf, sigma, device, stream):
        self._record("spatio_rsm", locals())
        X = self._view(x, dtype, (n, F), (F, 1))
        Y = X if symmetric else self._view(y, dtype, (m, F), (F, 1))
        lin = self.real.host_gram(np.array(X), np.array(Y), False)
        dist = self.real.host_gram(np.array(X), np.array(Y), True)
        self._write(linear, lin)
        xs = (X.astype(np.float64) ** 2).sum(1)
        ys = (Y.astype(np.float64) ** 2).sum(1)
        self._finish(lin, dist, xs, ys, symmetric, cosine, rbf, sigma)

    def _finish(self, lin, d2, xs, ys, symmetric, cosine, rbf, sigma):
        if cosine:
            self._write(cosine, lin / ((np.sqrt(xs)[:, None] + 1e-13) * (np.sqrt(ys)[None] + 1e-13)))
        if rbf:
            if sigma <= 0:
                off = d2[~np.eye(*d2.shape, dtype=bool)] if symmetric else d2.ravel()
                cand = np.sort(off[off > 0])
                sigma = np.sqrt(cand[(len(cand) - 1) // 2]) + 1e-3
            self._write(rbf, np.exp(-0.5 * d2 / (sigma * sigma)))

    def lap_batch(self, cost, dtype, B, n, m, maximize, method, eps_rel, eps_factor, col, objective, bound, device,
                  stream, placement="auto"):
        self._record("lap_batch", locals())
        C = self._view(cost, dtype, (B, n, m), (n * m, m, 1))
        c, o, b, st = self.real.host_solve(np.array(C), maximize, method, eps_rel, eps_factor, 0)
        assert (st == 0).all()
        self._write(col, c)
        self._write(objective, o)
        if bound:
            self._write(bound, b)

    def last(self, name):
        got = [a for n, a in self.calls if n == name]
        assert got, f"no {name} launch"
        return got[-1]


def fake_device(monkeypatch, fake):
    """Route ``device="cuda"`` calls to ``fake`` (a module with a device), with CPU tensors
    playing device tensors; other inputs take the real upload path."""
    import torch

    from semrsm_native import _gpu

    monkeypatch.setattr(_gpu, "cuda_module", lambda func: fake)
    monkeypatch.setattr(_gpu, "_RUNTIME", None)
    monkeypatch.setattr(_gpu._Side, "stream", lambda self: 0)
    real_to_side = _gpu._to_side

    def to_side(x, func, name, device, like=None):
        if isinstance(x, torch.Tensor):
            return _gpu._Side(x.detach(), "torch", None)
        return real_to_side(x, func, name, device, like)

    monkeypatch.setattr(_gpu, "_to_side", to_side)
    return fake


def emulate_gpu(monkeypatch, fake):
    """:func:`fake_device`, and host arrays uploaded by the real path of
    ``_device._to_side`` to the CPU (Torch's "cuda" device replaced by the CPU): NumPy in,
    NumPy out."""
    import torch

    from semrsm_native import _device

    fake_device(monkeypatch, fake)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(_device, "_torch_device", lambda device, like=None: "cpu")
    return fake

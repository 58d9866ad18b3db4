"""The GPU wrappers hand every option to the CUDA module unchanged (issue 14), on any machine.

The CPU fake in test_gpu_shared_logic.py computes the results itself (cosine, the RBF
bandwidth) and ignores eps, so a wrapper that dropped or mangled an option would still pass
there. Here a recording stand-in for ``semrsm_native._cuda`` keeps the arguments of every
launch and writes a distinct sentinel into each output buffer it is handed; the tests go
through the public functions with ``device="cuda"`` (CPU tensors play device memory) and
check what reached the launch and which result came out of which buffer. Needs neither the
CUDA build nor a GPU. Whether the kernels themselves honour eps and sigma needs a device:
tests/test_gpu_options.py.
"""

from __future__ import annotations

import ctypes
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from semrsm_native import (  # noqa: E402
    _gpu, _tuning, linear_sum_assignment_batch, semantic_rsm, semantic_rsm_block, spatio_semantic_rsm,
)

SENTINEL = {"linear": 1.25, "cosine": 2.5, "rbf": 3.75, "perm": 7, "d2": 8.5, "col": 5, "objective": 4.5,
            "bound": 0.125}


def _fill(ptr: int, count: int, value, dtype) -> None:
    if ptr and count:
        a = np.full(count, value, dtype=dtype)
        ctypes.memmove(ptr, a.ctypes.data, a.nbytes)


class Recorder:
    """Stand-in for the _cuda module with the binding's exact signatures."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []

    def build_info(self):
        return {"cuda_device_count": 1, "cuda_error": None}

    def semantic_rsm(self, x, y, matcher, cosine_cost, precision, eps_rel, eps_factor, linear, cosine, rbf,
                     perm, sigma, device, stream, placement="auto", max_tile_pairs=0, d2=0):
        args = dict(locals())
        del args["self"]
        self.calls.append(("semantic_rsm", args))
        n = x[2]
        m = n if y is None else y[2]
        _fill(linear, n * m, SENTINEL["linear"], np.float64)
        _fill(cosine, n * m, SENTINEL["cosine"], np.float64)
        _fill(rbf, n * m, SENTINEL["rbf"], np.float64)
        _fill(perm, n * m * x[3], SENTINEL["perm"], np.int32)
        _fill(d2, n * m, SENTINEL["d2"], np.float64)

    def spatio_rsm(self, x, y, dtype, n, m, F, symmetric, linear, cosine, rbf, sigma, device, stream):
        args = dict(locals())
        del args["self"]
        self.calls.append(("spatio_rsm", args))
        _fill(linear, n * m, SENTINEL["linear"], np.float64)
        _fill(cosine, n * m, SENTINEL["cosine"], np.float64)
        _fill(rbf, n * m, SENTINEL["rbf"], np.float64)

    def lap_batch(self, cost, dtype, B, n, m, maximize, method, eps_rel, eps_factor, col, objective, bound,
                  device, stream, placement="auto"):
        args = dict(locals())
        del args["self"]
        self.calls.append(("lap_batch", args))
        _fill(col, B * n, SENTINEL["col"], np.int64)
        _fill(objective, B, SENTINEL["objective"], np.float64)
        _fill(bound, B, SENTINEL["bound"], np.float64)

    def last(self, name):
        got = [a for n, a in self.calls if n == name]
        assert len(got) == 1, f"expected one {name} launch, got {len(got)}"
        return got[0]


@pytest.fixture
def rec(monkeypatch):
    fake = Recorder()
    monkeypatch.setattr(_gpu, "cuda_module", lambda func: fake)
    monkeypatch.setattr(_gpu, "_RUNTIME", None)
    monkeypatch.setattr(_gpu._Side, "stream", lambda self: 0)

    def to_side(x, func, name, device, like=None):
        assert isinstance(x, torch.Tensor), "these tests pass CPU tensors as device memory"
        return _gpu._Side(x.detach(), "torch", None)

    monkeypatch.setattr(_gpu, "_to_side", to_side)
    return fake


def _x(n=4, c=3, h=2, w=5, dtype=torch.float32, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).random((n, c, h, w))).to(dtype)


# ---- semantic_rsm ---------------------------------------------------------------------------


@pytest.mark.parametrize("eps", [None, 1e-3, 0.25])
@pytest.mark.parametrize("sigma", [None, 0.7])
def test_semantic_rsm_hands_over_eps_and_sigma(rec, eps, sigma):
    out = semantic_rsm(_x(), kernel=["linear", "cosine", "rbf"], matcher="auction", eps=eps, sigma=sigma,
                       device="cuda")
    a = rec.last("semantic_rsm")
    assert a["eps_rel"] == (0.0 if eps is None else eps)  # 0 means the kernel's default
    assert a["sigma"] == (0.0 if sigma is None else sigma)  # 0 means the median rule
    assert a["eps_factor"] == 7.0
    assert a["matcher"] == "auction"
    for k in ("linear", "cosine", "rbf"):
        assert torch.all(out[k] == SENTINEL[k]), k  # each kernel from its own buffer


@pytest.mark.parametrize("matcher", ["hungarian", "greedy", "auction"])
@pytest.mark.parametrize("cost", ["inner", "cosine"])
@pytest.mark.parametrize("precision", ["float32", "tf32", "bf16"])
def test_semantic_rsm_hands_over_matcher_cost_precision(rec, matcher, cost, precision):
    semantic_rsm(_x(dtype=torch.float64), kernel="linear", matcher=matcher, cost=cost, precision=precision,
                 device="cuda")
    a = rec.last("semantic_rsm")
    assert a["matcher"] == matcher
    assert a["cosine_cost"] is (cost == "cosine")
    assert a["precision"] == precision
    # tensor-core precisions read float32; float32 keeps the input's precision (float64 here)
    assert a["x"][1] == ("float64" if precision == "float32" else "float32")


def test_semantic_rsm_asks_only_for_the_wanted_outputs(rec):
    out = semantic_rsm(_x(), kernel="cosine", device="cuda")
    a = rec.last("semantic_rsm")
    assert a["linear"] != 0 and a["cosine"] != 0  # linear is always computed (cosine derives from it)
    assert a["rbf"] == 0 and a["perm"] == 0
    assert tuple(out.shape) == (4, 4) and torch.all(out == SENTINEL["cosine"])
    rec.calls.clear()
    out, perm = semantic_rsm(_x(), kernel="rbf", return_permutations=True, device="cuda")
    a = rec.last("semantic_rsm")
    assert a["cosine"] == 0 and a["rbf"] != 0 and a["perm"] != 0
    assert torch.all(out == SENTINEL["rbf"]) and perm.dtype == torch.int32 and torch.all(perm == SENTINEL["perm"])
    assert tuple(perm.shape) == (4, 4, 10)
    assert a["d2"] == 0  # the squared distances leave the device for semantic_rsm_block only


def test_block_asks_for_d2_only_with_return_d2(rec, monkeypatch):
    from semrsm_native import block

    monkeypatch.setattr(block, "read_samples", lambda a, sl: a[sl])  # as it reads a device tensor
    x = _x(n=6)
    for return_d2 in (False, True):
        rec.calls.clear()
        got = semantic_rsm_block(x, rows=slice(0, 2), cols=slice(2, 5), kernel="rbf", sigma=0.5,
                                 return_d2=return_d2, device="cuda")
        a = rec.last("semantic_rsm")
        assert a["rbf"] != 0 and a["sigma"] == 0.5 and (a["d2"] != 0) == return_d2
        out, d2 = got if return_d2 else (got, None)
        assert tuple(out.shape) == (2, 3) and torch.all(out == SENTINEL["rbf"])
        if return_d2:
            assert d2.dtype == torch.float64 and tuple(d2.shape) == (2, 3) and torch.all(d2 == SENTINEL["d2"])


@pytest.mark.parametrize("layout", ["nchw", "nhwc", "ntd"])
def test_semantic_rsm_descriptors_and_y(rec, layout):
    x = _x(n=4, c=3, h=2, w=5)
    y = _x(n=6, c=3, h=1, w=4, seed=1)
    if layout == "nhwc":
        x, y = x.permute(0, 2, 3, 1).contiguous(), y.permute(0, 2, 3, 1).contiguous()
    elif layout == "ntd":
        x, y = x.reshape(4, 3, 10).transpose(1, 2).contiguous(), y.reshape(6, 3, 4).transpose(1, 2).contiguous()
    out = semantic_rsm(x, y, kernel="linear", layout=layout, device="cuda")
    a = rec.last("semantic_rsm")
    assert a["x"][2:5] == (4, 10, 3) and a["y"][2:5] == (6, 4, 3)  # (n, S, C)
    assert a["x"][0] == x.data_ptr() and a["y"][0] == y.data_ptr()  # read in place
    assert tuple(out.shape) == (4, 6)
    rec.calls.clear()
    semantic_rsm(x, kernel="linear", layout=layout, device="cuda")
    assert rec.last("semantic_rsm")["y"] is None  # self mode: the kernel solves i < j only


def test_semantic_rsm_hands_over_the_launch_tuning(rec):
    with _tuning.gpu_tuning(placement="global", max_tile_pairs=5):
        semantic_rsm(_x(), device="cuda")
    a = rec.last("semantic_rsm")
    assert a["placement"] == "global" and a["max_tile_pairs"] == 5


@pytest.mark.parametrize("bad", [{"sigma": math.nan}, {"sigma": 0.0}, {"eps": math.nan}, {"eps": 0.0}])
def test_semantic_rsm_refuses_bad_numbers_before_launching(rec, bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        semantic_rsm(_x(), kernel="rbf", matcher="auction", device="cuda", **bad)
    assert rec.calls == []


# ---- spatio_semantic_rsm --------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [None, 2.0])
def test_spatio_hands_over_sigma_and_shapes(rec, sigma):
    x, y = _x(n=4), _x(n=3, seed=2)
    out = spatio_semantic_rsm(x, y, kernel=["cosine", "rbf"], sigma=sigma, device="cuda")
    a = rec.last("spatio_rsm")
    assert a["sigma"] == (0.0 if sigma is None else sigma)
    assert (a["n"], a["m"], a["F"], a["symmetric"]) == (4, 3, 30, False)
    assert a["linear"] != 0 and a["cosine"] != 0 and a["rbf"] != 0
    assert torch.all(out["cosine"] == SENTINEL["cosine"]) and torch.all(out["rbf"] == SENTINEL["rbf"])
    rec.calls.clear()
    spatio_semantic_rsm(x, kernel="linear", device="cuda")
    a = rec.last("spatio_rsm")
    assert a["symmetric"] is True and a["y"] == 0 and a["cosine"] == 0 and a["rbf"] == 0


# ---- linear_sum_assignment_batch ------------------------------------------------------------


@pytest.mark.parametrize("eps_final, eps_factor", [(None, None), (1e-4, None), (0.01, 3.0)])
@pytest.mark.parametrize("maximize", [False, True])
def test_batch_hands_over_auction_options(rec, eps_final, eps_factor, maximize):
    opts = {}
    if eps_final is not None:
        opts["eps_final"] = eps_final
    if eps_factor is not None:
        opts["eps_factor"] = eps_factor
    c = torch.rand((3, 4, 6), dtype=torch.float64)
    col, obj, bound = linear_sum_assignment_batch(c, maximize=maximize, method="auction", return_bound=True,
                                                  device="cuda", **opts)
    a = rec.last("lap_batch")
    assert a["method"] == "auction" and a["maximize"] is maximize
    assert a["eps_rel"] == (0.0 if eps_final is None else eps_final)
    assert a["eps_factor"] == (7.0 if eps_factor is None else eps_factor)
    assert (a["B"], a["n"], a["m"], a["dtype"]) == (3, 4, 6, "float64")
    assert a["bound"] != 0
    assert torch.all(col == SENTINEL["col"]) and torch.all(obj == SENTINEL["objective"])
    assert torch.all(bound == SENTINEL["bound"])


@pytest.mark.parametrize("method", ["hungarian", "greedy"])
def test_batch_other_methods(rec, method):
    c = torch.rand((2, 5, 5), dtype=torch.float32)
    if method == "hungarian":
        col, obj, bound = linear_sum_assignment_batch(c, method=method, return_bound=True, device="cuda")
        assert torch.all(bound == 0)  # exact: the wrapper writes 0, the kernel gets no buffer
        assert rec.last("lap_batch")["bound"] == 0
    else:
        linear_sum_assignment_batch(c, method=method, device="cuda")
    a = rec.last("lap_batch")
    assert a["method"] == method and a["dtype"] == "float32" and a["eps_rel"] == 0.0
    with pytest.raises(TypeError, match="eps_final"):
        linear_sum_assignment_batch(c, method=method, device="cuda", eps_final=1e-3)


def test_batch_hands_over_the_placement(rec):
    with _tuning.gpu_tuning(placement="shared"):
        linear_sum_assignment_batch(torch.rand((2, 3, 3)), device="cuda")
    assert rec.last("lap_batch")["placement"] == "shared"

"""The checked request of a call (python/semrsm_native/_request.py): what it normalises, and
that the CPU engine and the GPU backend are handed the same request and raise the same errors.

No GPU is needed: the router is told to send ``device="cuda"`` calls to the GPU, and the GPU
entry points are replaced by recorders (the plumbing behind them is checked against fakes of
the _cuda module in test_gpu_shared_logic.py).
"""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pytest

from semrsm_native import _gpu, _request, block, lap, rsm
from semrsm_native import linear_sum_assignment_batch, semantic_rsm, semantic_rsm_block, spatio_semantic_rsm

X = np.random.default_rng(0).random((4, 3, 2, 2))
COSTS = np.random.default_rng(1).random((2, 3, 3))


def _semantic(**changes):
    """semantic_request with the public defaults of semantic_rsm and ``changes``."""
    params = inspect.signature(rsm.semantic_rsm).parameters
    kw = {k: p.default for k, p in params.items() if p.kind is p.KEYWORD_ONLY}
    kw.update(changes)
    return _request.semantic_request("semantic_rsm", (X, None), **kw)


def _lap(**options):
    kw = dict(maximize=False, method="hungarian", threads=None, device="auto", return_bound=False)
    kw.update({k: options.pop(k) for k in list(options) if k in kw})
    return _request.lap_request("linear_sum_assignment_batch", COSTS, method_options=options, **kw)


# ------------------------------------------------------------------------------------------
# Normalisation


def test_defaults_normalise_as_documented(monkeypatch):
    monkeypatch.setenv("SEMRSM_NUM_THREADS", "3")
    r = _semantic()
    assert r == _request.RsmRequest(
        func="semantic_rsm", gpu=False, device="cpu", kernels=("cosine",), as_dict=False,
        matcher="hungarian", cost="inner", layout=None, window=128, eps=None, sigma=None,
        threads=3, progress=False, return_permutations=False, precision="float32",
    )


def test_values_are_normalised_to_plain_types():
    r = _semantic(kernel=["rbf", "linear"], window=np.int64(5), sigma=2, eps=np.float32(0.5),
                  threads=np.int32(2), progress=np.bool_(True), return_permutations=np.bool_(False),
                  layout="nhwc", device=None, cost="cosine", matcher="auction")
    assert r.kernels == ("rbf", "linear") and r.as_dict is True
    assert r.window == 5 and type(r.window) is int
    assert r.sigma == 2.0 and type(r.sigma) is float
    assert r.eps == 0.5 and type(r.eps) is float
    assert r.threads == 2 and type(r.threads) is int
    assert r.progress is True and r.return_permutations is False
    assert (r.layout, r.device, r.cost, r.matcher) == ("nhwc", "cpu", "cosine", "auction")
    # a one-element list still asks for a dict
    assert _semantic(kernel=["cosine"]).as_dict is True


def test_device_is_where_the_call_runs(monkeypatch):
    assert _semantic(device="auto").device == _semantic(device=None).device == "cpu"
    monkeypatch.setattr(_gpu, "wants_gpu", lambda func, device, *arrays: True)
    # on the GPU "auto" means the inputs' own device, as plain "cuda" does
    assert _semantic(device="auto").device == _semantic(device=None).device == "cuda"
    assert _semantic(device="cuda:2").device == "cuda:2"
    assert _lap(device="cuda:1").device == "cuda:1" and _lap().gpu is True


def test_request_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        _semantic().window = 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        _lap().method = "greedy"


def test_spatio_request_is_the_semantic_one_without_matching():
    r = _request.spatio_request("spatio_semantic_rsm", (X, None), kernel="linear", sigma=None,
                                layout=None, threads=1, device="cpu")
    assert (r.matcher, r.cost, r.window, r.eps) == ("identity", "inner", 1, None)
    assert (r.progress, r.return_permutations, r.precision) == (False, False, "float32")


def test_sample_layout_follows_the_rank_and_checks_y():
    r = _semantic()
    assert r.sample_layout((4, 3, 2, 2)) == "nchw"
    assert r.sample_layout((4, 5, 3), (2, 7, 3)) == "ntd"
    assert _semantic(layout="nhwc").sample_layout((4, 2, 2, 3)) == "nhwc"
    with pytest.raises(ValueError, match=r"semantic_rsm: x must be 4-D \(N, C, H, W\) or 3-D"):
        r.sample_layout((4, 3))
    with pytest.raises(ValueError, match="x and y must have the same rank"):
        r.sample_layout((4, 3, 2, 2), (4, 3, 4))
    with pytest.raises(ValueError, match="layout 'ntd' needs a 3-D x"):
        _semantic(layout="ntd").sample_layout((4, 3, 2, 2))
    with pytest.raises(ValueError, match=r"same number of features \(nchw\), got 3 and 4"):
        r.same_features("nchw", 3, 4)


def test_lap_request_defaults_and_options():
    r = _lap()
    assert (r.method, r.eps_final, r.eps_factor, r.window, r.row_keys, r.col_keys) == (
        "hungarian", 0.0, 7.0, 128, None, None)
    r = _lap(method="auction", eps_final=1e-3, eps_factor=np.float32(4), maximize=1)
    assert r.eps_final == 1e-3 and r.eps_factor == 4.0 and type(r.eps_factor) is float
    assert r.maximize is True
    keys = np.zeros((2, 3))
    r = _lap(method="batch_optimal", window=np.int64(2), row_keys=keys)
    assert r.window == 2 and type(r.window) is int and r.row_keys is keys and r.col_keys is None
    assert set(_request.LAP_OPTIONS) == set(lap.METHODS)


# ------------------------------------------------------------------------------------------
# One request for both backends


@pytest.fixture
def routes(monkeypatch):
    """Route device="cuda..." calls to recorders of the GPU entry points, and record what
    the CPU paths receive (they still compute)."""
    seen = {"cpu": [], "gpu": []}
    monkeypatch.setattr(_gpu, "wants_gpu", lambda func, device, *arrays: str(device).startswith("cuda"))

    def gpu(*args):
        seen["gpu"].append(args[-1])
        return "from-gpu"

    for name in ("semantic_rsm", "spatio_semantic_rsm", "linear_sum_assignment_batch"):
        monkeypatch.setattr(_gpu, name, gpu)

    def recorder(real):
        def record(*args):
            seen["cpu"].append(args[-1])
            return real(*args)
        return record

    monkeypatch.setattr(rsm, "_run", recorder(rsm._run))
    monkeypatch.setattr(lap, "_solve_batch", recorder(lap._solve_batch))
    return seen


def _same_but_the_route(cpu, gpu):
    assert cpu.gpu is False and gpu.gpu is True
    assert cpu.device == "cpu"
    assert dataclasses.replace(gpu, gpu=False, device="cpu") == cpu


@pytest.mark.parametrize("kw", [
    {},
    dict(kernel=["linear", "rbf"], matcher="auction", cost="cosine", eps=1e-4, sigma=0.5, threads=2,
         window=9, layout="nchw", return_permutations=True),
    dict(kernel="rbf", matcher="greedy", layout="nhwc"),
])
def test_cpu_and_gpu_get_the_same_rsm_request(routes, kw):
    semantic_rsm(X, **kw, device="cpu")
    assert semantic_rsm(X, **kw, device="cuda:0") == "from-gpu"
    (cpu,), (gpu,) = routes["cpu"], routes["gpu"]
    assert gpu.device == "cuda:0"
    _same_but_the_route(cpu, gpu)


def test_cpu_and_gpu_get_the_same_spatio_request(routes):
    for device in ("cpu", "cuda"):
        spatio_semantic_rsm(X, kernel=["cosine", "rbf"], sigma=1.5, layout="nchw", threads=1, device=device)
    _same_but_the_route(routes["cpu"][0], routes["gpu"][0])


def test_cpu_and_gpu_get_the_same_lap_request(routes):
    for device in ("cpu", "cuda:1"):
        linear_sum_assignment_batch(COSTS, True, "auction", 2, device, return_bound=True, eps_final=1e-4,
                                    eps_factor=5)
    (cpu,), (gpu,) = routes["cpu"], routes["gpu"]
    assert gpu.device == "cuda:1" and gpu.eps_final == 1e-4 and gpu.eps_factor == 5.0
    _same_but_the_route(cpu, gpu)


def test_block_builds_the_request_of_the_whole_call(monkeypatch):
    # semantic_rsm_block hands the engine the request semantic_rsm builds for the CPU.
    seen = []

    def record(real):
        def engine(xv, yv, code, request, *rest):
            seen.append(request)
            return real(xv, yv, code, request, *rest)
        return engine

    monkeypatch.setattr(rsm, "_engine", record(rsm._engine))
    monkeypatch.setattr(block, "_engine", record(block._engine))
    kw = dict(kernel=["cosine", "linear"], matcher="batch_optimal", window=2, sigma=1.0, threads=1)
    semantic_rsm(X, **kw)
    semantic_rsm_block(X, rows=slice(0, 2), cols=slice(2, 4), **kw)
    whole, part = seen
    assert part.func == "semantic_rsm_block"
    assert dataclasses.replace(part, func="semantic_rsm") == whole


def test_gpu_entry_points_take_the_request_not_the_signature():
    # (and the one output the request does not name: the block's squared distances)
    for f, params in [(_gpu.semantic_rsm, ["x", "y", "request", "return_d2"]),
                      (_gpu.spatio_semantic_rsm, ["x", "y", "request"]),
                      (_gpu.linear_sum_assignment_batch, ["costs", "request"])]:
        assert list(inspect.signature(f).parameters) == params
    assert inspect.signature(_gpu.semantic_rsm).parameters["return_d2"].kind is inspect.Parameter.KEYWORD_ONLY


# ------------------------------------------------------------------------------------------
# One error for both backends


def _error(f, *args, **kw):
    with pytest.raises(Exception) as info:
        f(*args, **kw)
    return type(info.value), str(info.value)


@pytest.mark.parametrize("bad", [
    dict(kernel="poly"), dict(kernel=[]), dict(kernel=["rbf", "rbf"]), dict(kernel=1),
    dict(matcher="simplex"), dict(cost="l2"), dict(layout="nwhc"), dict(window=0), dict(window=1.5),
    dict(eps=-1.0), dict(sigma=0), dict(sigma="1"), dict(threads=0), dict(threads="2"),
    dict(progress=1), dict(return_permutations="yes"),
])
def test_rsm_errors_are_the_same_on_both_routes(routes, bad):
    cpu = _error(semantic_rsm, X, **bad, device="cpu")
    assert _error(semantic_rsm, X, **bad, device="cuda") == cpu
    assert cpu[1].startswith("semantic_rsm: ")
    assert not routes["gpu"] and not routes["cpu"]


@pytest.mark.parametrize("bad", [
    dict(method="simplex"), dict(method="auction", eps=1.0), dict(method="greedy", return_bound="yes?"),
    dict(method="auction", eps_final=-1.0), dict(method="auction", eps_factor=1.0), dict(threads=0),
])
def test_lap_errors_are_the_same_on_both_routes(routes, bad):
    cpu = _error(linear_sum_assignment_batch, COSTS, **bad, device="cpu")
    assert _error(linear_sum_assignment_batch, COSTS, **bad, device="cuda") == cpu
    assert not routes["gpu"] and not routes["cpu"]


def test_what_only_one_route_rejects(routes):
    # tensor-core precisions exist on the GPU only; batch_optimal on the CPU only
    assert semantic_rsm(X, precision="tf32", device="cuda") == "from-gpu"
    with pytest.raises(ValueError, match="semantic_rsm: precision='tf32' is a tensor-core path"):
        semantic_rsm(X, precision="tf32", device="cpu")
    with pytest.raises(ValueError, match="unknown precision 'fp8'"):
        semantic_rsm(X, precision="fp8", device="cuda")
    with pytest.raises(NotImplementedError, match="matcher='batch_optimal' has no GPU implementation"):
        semantic_rsm(X, matcher="batch_optimal", device="cuda")
    with pytest.raises(NotImplementedError, match="method='batch_optimal' has no GPU implementation"):
        linear_sum_assignment_batch(COSTS, method="batch_optimal", device="cuda")
    # the dual bound that certifies greedy is computed on the CPU only
    with pytest.raises(NotImplementedError, match="return_bound with method='greedy' is computed on the CPU"):
        linear_sum_assignment_batch(COSTS, method="greedy", return_bound=True, device="cuda")
    linear_sum_assignment_batch(COSTS, method="greedy", return_bound=True, device="cpu")
    assert len(routes["gpu"]) == 1

"""The CUDA kernels honour eps and sigma (issue 14). Needs a CUDA device.

tests/test_gpu_wrapper_options.py shows, on any machine, that the Python wrappers hand eps,
eps_factor and sigma to the launch; only a device can show that the kernels then use them.
Each check compares against a computation that uses the option by construction (the CPU
instantiation of the same shared matcher code, or the CPU engine at the same sigma), with
the option at a value far from its default so that an ignored option gives another result.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the shared helpers (importlib import mode)
from _cuda_device import needs_device  # noqa: E402

cuda, torch, pytestmark = needs_device("needs a CUDA device to check that the kernels use eps and sigma")

from semrsm_native import lap, rsm  # noqa: E402


def _acts(n, S, C, seed):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((1, S, C))
    return np.maximum(0.6 * base + rng.standard_normal((n, S, C)), 0).astype(np.float32)


@pytest.mark.parametrize("eps_final, eps_factor", [(1e-2, 3.0), (0.2, 7.0)])
def test_auction_kernel_uses_eps(eps_final, eps_factor):
    rng = np.random.default_rng(31)
    c = rng.random((8, 30, 30))
    col, obj, bound = lap.linear_sum_assignment_batch(
        torch.from_numpy(c).cuda(), maximize=True, method="auction", return_bound=True,
        eps_final=eps_final, eps_factor=eps_factor,
    )
    from semrsm_native import _cuda_testing

    hcol, hobj, hbound, _ = _cuda_testing.host_solve(c, True, "auction", eps_rel=eps_final, eps_factor=eps_factor,
                                                     team=32)
    np.testing.assert_array_equal(col.cpu().numpy(), hcol)
    np.testing.assert_array_equal(obj.cpu().numpy(), hobj)
    np.testing.assert_allclose(bound.cpu().numpy(), hbound, rtol=1e-12, atol=0)
    # and the option mattered: the default epsilon certifies a much smaller gap
    _, _, tight = lap.linear_sum_assignment_batch(torch.from_numpy(c).cuda(), maximize=True, method="auction",
                                                  return_bound=True)
    assert tight.cpu().numpy().max() < hbound.max()


@pytest.mark.parametrize("sigma", [0.5, 40.0])
def test_rbf_kernel_uses_sigma(sigma):
    x = _acts(7, 12, 10, seed=32)
    want = rsm.semantic_rsm(x, kernel="rbf", sigma=sigma, device="cpu")
    got = rsm.semantic_rsm(torch.from_numpy(x).cuda(), kernel="rbf", sigma=sigma).cpu().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-12)
    default = rsm.semantic_rsm(x, kernel="rbf", device="cpu")
    assert not np.allclose(default, want, rtol=1e-3)  # sigma far from the median rule's
    got_flat = rsm.spatio_semantic_rsm(torch.from_numpy(x).cuda(), kernel="rbf", sigma=sigma).cpu().numpy()
    np.testing.assert_allclose(got_flat, rsm.spatio_semantic_rsm(x, kernel="rbf", sigma=sigma, device="cpu"),
                               rtol=1e-5, atol=1e-12)


def test_rsm_auction_kernel_uses_eps():
    x = _acts(6, 40, 8, seed=33)
    exact = rsm.semantic_rsm(torch.from_numpy(x).cuda(), kernel="linear").cpu().numpy()
    loose = rsm.semantic_rsm(torch.from_numpy(x).cuda(), kernel="linear", matcher="auction", eps=0.5).cpu().numpy()
    tight = rsm.semantic_rsm(torch.from_numpy(x).cuda(), kernel="linear", matcher="auction", eps=1e-9).cpu().numpy()
    assert (loose <= exact * (1 + 1e-6) + 1e-9).all() and (tight <= exact * (1 + 1e-6) + 1e-9).all()
    np.testing.assert_allclose(tight, exact, rtol=1e-6)
    # eps = 0.5 of the largest cost lets bidding stop far from the optimum on some pair
    assert (loose < exact * (1 - 1e-6)).any()

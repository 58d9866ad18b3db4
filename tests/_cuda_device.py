"""The rule of the tests that need a CUDA device (test helper): the CUDA backend built, Torch,
and a device both see; otherwise every test of the module skips, saying why.

    cuda, torch, pytestmark = needs_device("what the module checks")
"""

from __future__ import annotations

import pytest


def needs_device(why: str = "needs a CUDA device"):
    """(the ``_cuda`` module, ``torch``, the module's ``pytestmark``); skips the module when
    the backend or Torch is missing."""
    cuda = pytest.importorskip("semrsm_native._cuda", reason="CUDA backend not built")
    torch = pytest.importorskip("torch")
    info = cuda.build_info()
    marks = [
        pytest.mark.gpu,
        pytest.mark.skipif(
            not info["cuda_device_count"] or not torch.cuda.is_available(),
            reason=f"{why} ({info.get('cuda_error') or 'torch.cuda unavailable'})",
        ),
    ]
    return cuda, torch, marks

"""A ``.pt`` file is read with ``weights_only=True``: a pickled payload is refused and never
runs (issue 14).

The payload's ``__reduce__`` makes unpickling create a marker file. The test first shows
that the payload is live (a plain ``torch.load(weights_only=False)`` does create the
marker), so the refusal below is not the refusal of a harmless file.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from semrsm_native import cli  # noqa: E402
from semrsm_native._io import ActivationFileError, load_activations  # noqa: E402


class _Payload:
    """Unpickling this calls pathlib.Path.touch(marker): code from the file."""

    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def _save(path, obj):
    torch.save(obj, path)
    return path


@pytest.mark.parametrize("wrap", ["bare", "in_dict", "next_to_a_tensor"])
def test_pickled_payload_refused_and_not_run(tmp_path, wrap):
    marker = tmp_path / "ran"
    payload = _Payload(marker)
    obj = {"bare": payload, "in_dict": {"layer": payload},
           "next_to_a_tensor": {"ok": torch.zeros(2, 3, 4), "evil": payload}}[wrap]
    path = _save(tmp_path / "evil.pt", obj)

    # The payload is live: an unrestricted load runs it.
    torch.load(path, weights_only=False)
    assert marker.exists()
    marker.unlink()

    with pytest.raises(ActivationFileError, match=r"evil\.pt: not a readable PyTorch file with weights_only=True"):
        load_activations(path)
    assert not marker.exists(), "loading the activations ran code from the file"

    assert cli.main(["compute", str(path), "-o", str(tmp_path / "o.npz")]) == 1
    assert not marker.exists()
    assert not (tmp_path / "o.npz").exists()


def test_pickled_numpy_array_refused(tmp_path):
    # Not malicious, but not a tensor either: numpy arrays inside a .pt need the unrestricted
    # unpickler, which the loader never uses.
    path = _save(tmp_path / "np.pt", {"layer": np.ones((2, 3, 4), np.float32)})
    with pytest.raises(ActivationFileError, match="weights_only=True"):
        load_activations(path)


def test_plain_tensors_still_load(tmp_path):
    x = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
    got = load_activations(_save(tmp_path / "t.pt", {"a": x, "b": x * 2}))
    assert list(got) == ["a", "b"]
    np.testing.assert_array_equal(got["b"], (x * 2).numpy())

"""semrsm search: the top k of the exact RSM rows, written with the stage counts; and the
retrieval demo from the command line."""

import json

import numpy as np
import pytest

from semrsm_native import semantic_rsm, semantic_topk
from semrsm_native.cli import main


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    db = np.maximum(rng.standard_normal((20, 4, 3, 3)), 0).astype(np.float32)
    db *= rng.gamma(2.0, 1.0, (20, 1, 3, 3)).astype(np.float32)
    q = db[:3] + 0.1
    np.save(tmp_path / "q.npy", q)
    np.save(tmp_path / "db.npy", db)
    return tmp_path, q, db


def test_search_writes_the_exact_top_k(files, capsys):
    d, q, db = files
    out = d / "nb.npz"
    assert main(["search", str(d / "q.npy"), str(d / "db.npy"), "-k", "4", "-o", str(out)]) == 0
    r = np.load(out)
    full = semantic_rsm(q, db)
    want = np.array([np.lexsort((np.arange(20), -row))[:4] for row in full])
    np.testing.assert_array_equal(r["indices/q"], want)
    assert np.array_equal(r["similarities/q"], np.take_along_axis(full, want, 1))
    p = json.loads(str(r["parameters"]))
    assert p["k"] == 4 and p["layers"] == {"q": "db"} and p["stages"]["q"]["pairs"] == 60
    assert "pairs solved exactly" in capsys.readouterr().out


def test_search_within_one_file_and_options(files):
    d, _, db = files
    out = d / "self.npz"
    assert main(["search", str(d / "db.npy"), "-k", "2", "-o", str(out), "--kernel", "rbf",
                 "--sigma", "5", "--eps", "1e-2,1e-4", "--threads", "1"]) == 0
    r = np.load(out)
    idx, sim = semantic_topk(db, None, 2, kernel="rbf", sigma=5.0)
    np.testing.assert_array_equal(r["indices/db"], idx)
    assert np.array_equal(r["similarities/db"], sim)
    assert json.loads(str(r["parameters"]))["eps"] == [1e-2, 1e-4]


@pytest.mark.parametrize("argv,code,message", [
    (["--kernel", "rbf"], 2, "needs --sigma"),
    (["--eps", "1e-3,1e-2"], 2, "must decrease"),
    (["-k", "0"], 2, "positive integer"),
    (["-k", "21"], 1, "exceeds the 20 database samples"),
])
def test_search_errors(files, capsys, argv, code, message):
    d, _, _ = files
    with pytest.raises(SystemExit) if code == 2 else _no_raise():
        rc = main(["search", str(d / "q.npy"), str(d / "db.npy"), "-o", str(d / "x.npz")] + argv)
        assert rc == code
    assert message in capsys.readouterr().err


class _no_raise:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_demo_retrieval(tmp_path, capsys):
    assert main(["demo", "--retrieval", "--quick", "--out", str(tmp_path), "--no-plot"]) == 0
    out = capsys.readouterr().out
    assert "semantic R@1" in out
    assert (tmp_path / "retrieval_results.json").is_file()

"""The retrieval demo: the target is the query's translated crop, and the semantic search
finds it where the spatio-semantic one does not (the paper's retrieval finding)."""

import json

import numpy as np
import pytest

from semrsm_native._features import DEMO_IMAGES
from semrsm_native.retrieval import make_retrieval_set, run_retrieval_demo


def test_target_is_the_translated_crop():
    q, db, target, db_image = make_retrieval_set(DEMO_IMAGES[:3], crop=32, shift=8,
                                                 distractors_per_image=2, short_side=64, seed=3)
    assert q.shape == (3, 3, 32, 32) and db.shape == (9, 3, 32, 32)
    assert sorted(np.bincount(db_image).tolist()) == [3, 3, 3]
    assert list(db_image[target]) == [0, 1, 2]
    for i in range(3):
        a, b = q[i], db[target[i]]
        # Shifted by 8 pixels along at least one axis: some shift makes the overlap equal.
        hits = [
            (dy, dx)
            for dy in (-8, 0, 8) for dx in (-8, 0, 8) if (dy, dx) != (0, 0)
            and np.array_equal(a[:, max(dy, 0):32 + min(dy, 0), max(dx, 0):32 + min(dx, 0)],
                               b[:, max(-dy, 0):32 + min(-dy, 0), max(-dx, 0):32 + min(-dx, 0)])
        ]
        assert len(hits) == 1
        assert not np.array_equal(a, b)


def test_bad_arguments():
    with pytest.raises(ValueError, match="exceeds short_side"):
        make_retrieval_set(crop=120, shift=16, short_side=128)
    with pytest.raises(ValueError, match="distractors_per_image"):
        make_retrieval_set(distractors_per_image=-1)
    with pytest.raises(ValueError, match="kernel must be"):
        run_retrieval_demo(kernel="rbf", echo=None)


def test_quick_demo_semantic_beats_spatio_semantic(tmp_path):
    lines = []
    r = run_retrieval_demo(tmp_path, quick=True, echo=lines.append)
    for layer, rec in r.recall.items():
        assert rec["semantic@1"] >= rec["spatio_semantic@1"], layer
        assert rec["semantic@5"] >= rec["spatio_semantic@5"], layer
        assert 0 < r.stats[layer]["exact"] < r.stats[layer]["pairs"]
    assert np.mean([rec["semantic@1"] for rec in r.recall.values()]) > np.mean(
        [rec["spatio_semantic@1"] for rec in r.recall.values()]) + 0.2
    saved = json.loads((tmp_path / "retrieval_results.json").read_text())
    assert saved["recall"] == r.recall
    assert (tmp_path / "retrieval.png").stat().st_size > 10_000
    assert any("semantic R@1" in line for line in lines)

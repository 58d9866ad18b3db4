"""The release configuration agrees with itself: the hosted workflow (.github/workflows/wheels.yml)
cannot run here, so these checks are what keeps it from drifting away from the build that CI
does run (tools/build_wheel.sh, README's install command) and from pyproject.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
yaml = pytest.importorskip("yaml")  # a dependency of dask, in the test extra

ROOT = Path(__file__).resolve().parent.parent
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


def _workflow() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "wheels.yml").read_text())


def _run_lines(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_cibuildwheel_builds_the_supported_pythons():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["cibuildwheel"]
    selected = cfg["build"].split()
    assert selected == [f"cp{v.replace('.', '')}-*" for v in PYTHONS]
    # auto64: the runner's own architecture, so the arm runner never asks for emulation.
    assert cfg["linux"]["archs"] == ["auto64"]
    assert cfg["linux"]["manylinux-aarch64-image"] == "manylinux_2_28"


def test_x86_64_release_wheel_is_the_one_ci_builds():
    jobs = _workflow()["jobs"]
    job = jobs["wheels-x86_64"]
    assert job["strategy"]["matrix"]["python"] == PYTHONS
    runs = _run_lines(job)
    readme = (ROOT / "README.md").read_text()
    # README's install command and the release job run the same build script ...
    assert "bash tools/build_wheel.sh" in runs and "bash tools/build_wheel.sh" in readme
    # ... with the CUDA module required, and test the installed wheel, not the tree.
    build = next(s for s in job["steps"] if "build_wheel.sh" in s.get("run", ""))
    assert build["env"]["SEMRSM_WHEEL_CUDA"] == "ON"
    assert "tools/test_installed.sh" in runs
    test = next(s for s in job["steps"] if "test_installed.sh" in s.get("run", ""))
    assert test["env"]["SEMRSM_TEST_EXPECT_CUDA"] == "1"
    # CUDA 13.0: the toolkit whose minimum driver (R580) the README states
    assert "cuda-nvcc-13-0" in runs and "cuda-cudart-dev-13-0" in runs


def test_publish_waits_for_every_artifact():
    wf = _workflow()
    jobs = wf["jobs"]
    builders = {name for name in jobs if name.startswith("wheels-")} | {"sdist"}
    assert builders >= {"wheels-x86_64", "wheels-aarch64", "sdist"}
    assert set(jobs["publish"]["needs"]) == builders
    # the tag must name the version from its one place
    assert "_version.py" in _run_lines(jobs["sdist"])
    # PyYAML reads the key `on` as True
    triggers = wf.get("on", wf.get(True))
    assert triggers["push"]["tags"] == ["v*"]

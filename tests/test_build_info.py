"""build_info() and the threads argument: what was built and what it runs with."""

import platform
import subprocess
import sys

import pytest

import semrsm_native
from semrsm_native._threads import resolve_threads


def test_build_info_keys_and_types():
    info = semrsm_native.build_info()
    assert info["version"] == semrsm_native.__version__
    assert isinstance(info["compiler"], str) and info["compiler"]
    assert info["simd"] in {"scalar", "sse2", "avx2", "avx512", "neon"}
    assert info["available_cores"] >= 1
    assert info["default_threads"] >= 1
    assert isinstance(info["cuda"], bool)
    assert isinstance(info["cuda_architectures"], list)
    if not info["cuda"]:
        assert info["cuda_architectures"] == []


def _simd_under(env_value):
    code = "import semrsm_native; print(semrsm_native.build_info()['simd'])"
    env = {"SEMRSM_SIMD": env_value, "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def test_simd_env_can_only_lower_the_level():
    best = semrsm_native.build_info()["simd"]
    assert _simd_under("scalar") == "scalar"
    # Asking for more than the CPU has falls back to what it has.
    assert _simd_under("avx512") == best
    assert _simd_under("bogus") == best


def test_threads_none_follows_env(monkeypatch):
    monkeypatch.setenv("SEMRSM_NUM_THREADS", "3")
    assert resolve_threads(None, "f") == 3
    assert semrsm_native.build_info()["default_threads"] == 3
    monkeypatch.delenv("SEMRSM_NUM_THREADS")
    assert resolve_threads(None, "f") == semrsm_native.build_info()["available_cores"]


@pytest.mark.parametrize("bad", ["0", "-2", "two", "1.5"])
def test_threads_env_rejects_garbage(monkeypatch, bad):
    monkeypatch.setenv("SEMRSM_NUM_THREADS", bad)
    with pytest.raises(ValueError, match="SEMRSM_NUM_THREADS"):
        resolve_threads(None, "f")


def test_threads_argument_validation():
    assert resolve_threads(4, "f") == 4
    with pytest.raises(ValueError, match="f: threads must be >= 1"):
        resolve_threads(0, "f")
    with pytest.raises(TypeError, match="f: threads must be an integer"):
        resolve_threads(2.0, "f")
    with pytest.raises(TypeError, match="got bool"):
        resolve_threads(True, "f")


def test_build_info_says_how_it_was_built():
    info = semrsm_native.build_info()
    assert isinstance(info["wheel_tag"], str) and info["wheel_tag"]
    assert isinstance(info["build"], str) and info["build"]
    if "not installed" not in info["build"]:  # an installed copy carries _build.py
        assert "C++ " in info["build"] and "CUDA=" in info["build"]
        assert ("built (" in info["build"]) == info["cuda"]


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


@pytest.mark.skipif(platform.machine() not in {"x86_64", "AMD64"} or _cpu_flags() is None,
                    reason="x86-64 Linux only (/proc/cpuinfo)")
def test_simd_detection_matches_the_cpu():
    # The level the native CPUID probe picks must be what the kernel reports (cpu_features.cpp;
    # a toolchain whose __builtin_cpu_supports reports nothing would silently pick sse2).
    flags = _cpu_flags()
    if {"avx512f", "avx512dq", "avx512bw", "avx512vl", "avx2", "fma"} <= flags:
        expected = "avx512"
    elif {"avx2", "fma"} <= flags:
        expected = "avx2"
    else:
        expected = "sse2"
    assert _simd_under("") == expected

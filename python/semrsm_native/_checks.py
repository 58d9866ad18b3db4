"""Argument checks shared by every public entry point and the command line.

Each check takes the value, what it is called in the signature and the public function's
name, and returns the normalised value or raises with a message that names both (TypeError
for a wrong type, ValueError for a wrong value). The CPU path, the GPU backend and the CLI's
argparse types all use these, so one input gets one error wherever it is checked.
"""

from __future__ import annotations

import argparse
import math
import numbers
from typing import Any, Callable, Sequence

import numpy as np

__all__ = [
    "choice", "kernel_list", "positive_float", "positive_int", "flag", "compute_dtype", "argparse_type",
]


def choice(value: Any, allowed: Sequence[str], what: str, func: str) -> str:
    """``value`` if it is one of the strings ``allowed``."""
    if not isinstance(value, str):
        raise TypeError(f"{func}: {what} must be a string, got {type(value).__name__}")
    if value not in allowed:
        raise ValueError(
            f"{func}: unknown {what} {value!r}; expected one of {', '.join(map(repr, allowed))}"
        )
    return value


def kernel_list(kernel: Any, allowed: Sequence[str], func: str) -> tuple[list[str], bool]:
    """The requested kernels, and whether a dict is wanted (a list was given)."""
    if isinstance(kernel, str):
        return [choice(kernel, allowed, "kernel", func)], False
    if isinstance(kernel, (list, tuple)):
        if len(kernel) == 0:
            raise ValueError(f"{func}: kernel list is empty")
        names = [choice(k, allowed, "kernel", func) for k in kernel]
        if len(set(names)) != len(names):
            raise ValueError(f"{func}: kernel list has duplicates: {names}")
        return names, True
    raise TypeError(
        f"{func}: kernel must be a string or a list of strings, got {type(kernel).__name__}"
    )


def positive_float(value: Any, what: str, func: str) -> float | None:
    """A finite number > 0 as a float; None passes through (the caller's default)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{func}: {what} must be a positive number or None, got {value!r}")
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{func}: {what} must be a positive finite number, got {value!r}")
    return v


def positive_int(value: Any, what: str, func: str) -> int:
    """An integer >= 1 (bool is not an integer here)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{func}: {what} must be an integer, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{func}: {what} must be >= 1, got {value}")
    return int(value)


def flag(value: Any, what: str, func: str) -> bool:
    """A bool (NumPy's bool too, so a flag read from an array passes); nothing else."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{func}: {what} must be a bool, got {type(value).__name__}")
    return bool(value)


# Real dtypes by name (NumPy, Torch and CuPy spell them alike) -> the dtype an RSM computes
# them in: float32 and float64 stay; the half precisions compute in float32 (the CPU and
# the GPU kernels take float32 or float64 only); wider floats, integers and bool in float64,
# as scipy and the CPU engine do.
_COMPUTE_DTYPES = {"float32": "float32", "float64": "float64", "float16": "float32",
                   "bfloat16": "float32", "float96": "float64", "float128": "float64",
                   "bool": "float64"}


def compute_dtype(dtype: Any, what: str, func: str) -> str:
    """The dtype an input of ``dtype`` (a NumPy dtype or a dtype's name, such as Torch's
    ``"bfloat16"``) is computed in: "float32" or "float64"; TypeError for anything that
    does not hold real numbers (complex, strings, objects). The CPU engine and the GPU
    backend both ask this, so one input gets one dtype and one error on either."""
    name = dtype.name if isinstance(dtype, np.dtype) else str(dtype)
    if name in _COMPUTE_DTYPES:
        return _COMPUTE_DTYPES[name]
    if name.startswith(("int", "uint")) and name[-1].isdigit():
        return "float64"
    raise TypeError(f"{func}: {what} must hold real numbers (float, int or bool), got dtype {dtype}")


def argparse_type(parse: Callable[[str], Any], check: Callable[[Any, str, str], Any],
                  expected: str) -> Callable[[str], Any]:
    """An argparse ``type=`` function: parse the text, then run the same ``check`` as the
    Python API; any failure becomes argparse's error ``expected <expected>, got <text>``."""

    def convert(text: str) -> Any:
        try:
            return check(parse(text), "value", "semrsm")
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None

    convert.__name__ = expected.replace(" ", "_")  # argparse names the type in its messages
    return convert

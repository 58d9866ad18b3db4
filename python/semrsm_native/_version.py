"""The package version: the one place it is written.

pyproject.toml reads it from here (scikit-build-core's regex provider), the native core gets it
through CMake (SEMRSM_VERSION), and ``semrsm_native.__version__`` imports it. A release bumps
this line, adds its CHANGELOG.md entry and pushes the tag ``v<version>`` (.github/workflows/wheels.yml).
"""

__version__ = "0.1.0"

"""Shared test configuration: hypothesis profiles and the GPU skip rule."""

import os

from hypothesis import HealthCheck, settings

# CI derandomises hypothesis so that a red run can be reproduced; locally it explores.
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from support import Keys

# No per-example deadline, and no health check on how long generating examples takes: timings on a
# shared two-core machine running the suite in parallel are noise, not a property under test.
settings.register_profile("collective", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("collective")


@pytest.fixture(scope="session")
def keys(tmp_path_factory) -> Keys:
    return Keys(tmp_path_factory.mktemp("keys"))

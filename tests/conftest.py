from __future__ import annotations

import pytest
from hypothesis import settings

from support import Keys

# No per-example deadline: timings on a shared two-core machine are noise, not a property under test.
settings.register_profile("collective", deadline=None)
settings.load_profile("collective")


@pytest.fixture(scope="session")
def keys(tmp_path_factory) -> Keys:
    return Keys(tmp_path_factory.mktemp("keys"))

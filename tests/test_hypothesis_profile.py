"""Every property test runs under the profile conftest.py loads (derandomised in CI)."""

from __future__ import annotations

import os
import sys

from hypothesis import settings
from support import SETTINGS


def _loaded_profile() -> settings:
    return settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def test_the_default_profile_is_derandomised():
    if "HYPOTHESIS_PROFILE" not in os.environ:
        assert settings.default.derandomize
        assert SETTINGS.derandomize


def test_every_collected_property_test_uses_the_profile():
    profile = _loaded_profile()
    checked = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("test_"):
            continue
        for attribute in vars(module).values():
            used = getattr(attribute, "_hypothesis_internal_use_settings", None)
            if used is None:
                continue
            checked += 1
            assert used.derandomize == profile.derandomize, f"{name}.{attribute.__name__}"
            assert used.max_examples == profile.max_examples, f"{name}.{attribute.__name__}"
    assert checked > 0 or "test_identities" not in sys.modules

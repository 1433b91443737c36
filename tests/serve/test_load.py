"""20 viewers open their links at once: each is served or told to retry; memory stays bounded."""
import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def load_benchmark():
    path = Path(__file__).resolve().parent.parent.parent / "benchmarks" / "serve_load.py"
    spec = importlib.util.spec_from_file_location("serve_load", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_twenty_viewers_at_once_are_served_or_told_to_retry():
    result = load_benchmark().run(viewers=20, max_kernels=3)
    assert result["served"] + result["busy"] == 20 and result["other"] == []
    assert 1 <= result["served"] <= 20 and result["busy"] >= 1          # the cap held
    assert result["alive"]
    # server plus at most 3 live kernels and the ready one: bounded, whatever the number of viewers
    assert result["peak_mb"] < 2500, result

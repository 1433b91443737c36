"""20 viewers open their report links at once past a cap of 2: every one gets a page with their own school's
header and first tab (the live app or the static page), none a 503; memory stays bounded
(benchmarks/serve_load.py, smaller: 2 schools, and no second wave)."""

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


def test_twenty_viewers_at_once_past_a_cap_of_two_all_get_their_school_and_none_a_503():
    result = load_benchmark().run(viewers=20, max_kernels=2, schools=2, hold=0, then_next=False)
    assert result["statuses"] == [200] and result["busy"] == 0, result  # nobody is turned away
    assert result["shown"] == 20, result  # each its own school's header and first tab
    assert result["live"] == 2 and result["static"] == 18 and result["preparing"] == 0, result  # the cap held
    assert result["errors"] == [] and result["alive"], result
    assert result["peak_mb"] < 1536, result  # server, 2 live + 1 kept-ready kernels, worker
    assert result["phases"]["burst"] < 30, result["phases"]  # every wait is bounded; the whole run takes 30-40 s

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The committed sample trust (CSV exchange format)."""
    return SAMPLE


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository checkout."""
    return REPO


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory):
    """The committed sample trust imported into a SQLite file."""
    from wqm_nb.store import build_database

    return build_database(SAMPLE, tmp_path_factory.mktemp("db") / "wqm.sqlite")


@pytest.fixture
def store():
    from wqm_nb.store import Store

    with Store(":memory:") as s:
        yield s


def pytest_collection_modifyitems(items):
    """nbval's reference notebook cells run in a kernel: they are ``slow`` like the other kernel tests."""
    for item in items:
        if getattr(item, "path", None) is not None and item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)

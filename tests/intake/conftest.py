"""Shared fixtures of the survey importer's tests.

``exports`` writes every export fixture of ``make_exports.py`` once per test
session into a temporary folder and carries its manifest; ``make_exports`` is
the generator module itself (for its constants, e.g. ``STAFF_LIST``); ``db``
is a private copy of the sample trust's store that a test may write to.
"""

import importlib.util
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

HERE = Path(__file__).resolve().parent


class Exports(NamedTuple):
    """The written fixture files and the generator's manifest of them."""

    folder: Path
    manifest: dict

    def path(self, name: str) -> Path:
        return self.folder / name

    def read(self, name: str) -> bytes:
        return (self.folder / name).read_bytes()


def _load_make_exports():
    spec = importlib.util.spec_from_file_location("make_exports", HERE / "make_exports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def make_exports():
    """The fixture generator module (tests/intake/make_exports.py)."""
    return _load_make_exports()


@pytest.fixture(scope="session")
def exports(make_exports, tmp_path_factory) -> Exports:
    """Every export fixture, written once per session, with its manifest."""
    folder = tmp_path_factory.mktemp("survey-exports")
    return Exports(folder, make_exports.write_exports(folder))


@pytest.fixture(scope="session")
def bank():
    from wqm_nb.data import load_question_bank

    return load_question_bank()


@pytest.fixture
def db(sample_db, tmp_path) -> Path:
    """A private copy of the sample trust's store file."""
    target = tmp_path / "wqm.sqlite"
    shutil.copy(sample_db, target)
    return target

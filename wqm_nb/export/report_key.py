"""What a school's printed report was made from, as one key: a cached PDF is current only while its key is.

A report of one school year is a function of its data and its settings.
:func:`report_key` names both: the school year's data version
(:meth:`~wqm_nb.store.Store.school_data_version`), the framework (a bundled id,
or a framework file's content hash), the minimum group size, the benchmark
file's content hash, the ``as_of`` date, the package version and the releases
recorded in the publication ledger for the school's years up to the report's
(:meth:`~wqm_nb.disclosure.ledger.Ledger.recorded_ids`): a new release
invalidates every cached page and PDF that showed an earlier one. ``wqm report``
and ``wqm batch`` write it beside each PDF (``<stem>.key.json``, the key and its
parts, no figures); the leaders' app serves a PDF from its cache only when the
cached key equals the key of what the viewer sees now.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..settings import ReportSettings

KEY_SUFFIX = ".key.json"


def _file_hash(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:32] if path else ""


def package_version() -> str:
    """This wqm's version (a new version may print the same data differently)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("wqm-workbench")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


@dataclass(frozen=True)
class ReportKey:
    """A report's key and the parts it is made of."""

    parts: dict

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.parts, sort_keys=True).encode()).hexdigest()

    def to_json(self) -> str:
        return json.dumps({"key": self.digest, "parts": self.parts}, sort_keys=True, indent=1) + "\n"


def report_key(
    settings: ReportSettings, data_version: str, releases: list | None = None, benchmark_releases: str = ""
) -> ReportKey:
    """The key of the report ``settings`` describe (its year resolved), from its school year's
    ``data_version``, the ``releases`` recorded for it (``[[year, release id], ...]``) and a digest of the
    latest release of every school of its year (``benchmark_releases``: its portfolio benchmarks are computed
    from them, so a school published since makes the report stale)."""
    framework = settings.framework_ref
    is_file = Path(framework).suffix.lower() in (".yaml", ".yml")
    return ReportKey(
        {
            "school": settings.school_id,
            "year": settings.year,
            "data": data_version,
            "framework": f"file:{_file_hash(framework)}" if is_file else framework,
            "min_group_size": settings.min_group_size,
            "benchmarks": _file_hash(settings.benchmarks_ref),
            "as_of": settings.as_of,
            "package": package_version(),
            "releases": releases or [],
            "benchmark_releases": benchmark_releases,
        }
    )


def key_of(settings: ReportSettings) -> ReportKey:
    """:func:`report_key` with the data version and the recorded releases read from the settings' store."""
    from ..disclosure.ledger import Ledger, benchmarks_digest
    from ..disclosure.threshold import resolve_threshold
    from ..store import Store

    with Store.open(settings.data_path, read_only=True) as store:
        settings = settings.replace(min_group_size=resolve_threshold(store.threshold, settings.min_group_size))
        ledger = Ledger.of(store)
        releases = ledger.recorded_ids(settings.school_id, settings.year) if ledger is not None else []
        latest = benchmarks_digest(ledger.latest_ids(settings.year)) if ledger is not None else ""
        return report_key(settings, store.school_data_version(settings.school_id, settings.year), releases, latest)


def key_path(pdf: Path) -> Path:
    """Where the key of ``NLT03_2025-26.pdf`` is written: ``NLT03_2025-26.key.json``."""
    return pdf.with_name(pdf.name.removesuffix(".pdf") + KEY_SUFFIX)


def write_key(pdf: Path, key: ReportKey) -> Path:
    """Write ``key`` beside ``pdf`` (under a temporary name, renamed into place)."""
    import os
    import tempfile

    target = key_path(pdf)
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key.to_json())
    os.chmod(partial, 0o644)
    os.replace(partial, target)
    return target


def read_key(pdf: Path) -> str:
    """The key written beside ``pdf`` ('' when there is none or it cannot be read)."""
    try:
        return str(json.loads(key_path(pdf).read_text(encoding="utf-8"))["key"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""


__all__ = ["KEY_SUFFIX", "ReportKey", "key_of", "key_path", "package_version", "read_key", "report_key", "write_key"]

"""One typed settings object per kind of run, validated once.

:class:`ReportSettings` describes one school's report (school, academic year,
data location, framework, minimum group size, benchmark file, the "as of"
date, output folder);
:class:`GroupSettings` a group overview. Both are built by the CLI, the batch
runner and the notebooks alike, validated in ``__post_init__``, and turned
into notebook parameters by :meth:`to_parameters`. The names of the notebook
parameters are the field names listed in ``NOTEBOOK_FIELDS``; a contract test
checks them against every notebook's parameters cell.

The defaults every module uses live here and only here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from .errors import SettingsError

DEFAULT_FRAMEWORK = "wqm"
DEFAULT_MIN_GROUP_SIZE = 5
#: a school's phase, as the store, the benchmark file and the command line take it
PHASES = ("primary", "secondary", "all-through", "special")
#: the smallest threshold accepted: "fewer than 2 responses" would say exactly one person
MIN_GROUP_SIZE_FLOOR = 3
DEFAULT_REPORT_DIR = "reports"
DEFAULT_BATCH_DIR = "build/reports"
DATA_ENV = "WQM_DATA"
#: what a benchmark file may be (:mod:`wqm_nb.data.benchmark_file`)
BENCHMARK_SUFFIXES = (".yaml", ".yml", ".csv")

#: School ids: letters, digits, "-", "_" and "."; starting with a letter or digit.
SCHOOL_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_YEAR = re.compile(r"^(\d{4})-(\d{2})$")

_CHECKOUT_ROOT = Path(__file__).resolve().parent.parent


def check_school_id(school_id: str, what: str = "school_id") -> str:
    """Return ``school_id`` if it matches :data:`SCHOOL_ID_PATTERN`, else raise."""
    text = str(school_id)
    if not text.strip():
        raise SettingsError(f'{what} is empty: name a school, e.g. {what}="NLT01"')
    if not SCHOOL_ID_PATTERN.fullmatch(text):
        raise SettingsError(
            f"{what} {text!r} is not a valid school id (letters, digits, '.', '_' and '-', "
            f"starting with a letter or digit, at most 64 characters)"
        )
    return text


def check_academic_year(year: str) -> str:
    """Return ``year`` if it is an academic year like ``2024-25``, else raise."""
    m = _YEAR.fullmatch(str(year))
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise SettingsError(f"academic year must look like 2024-25, got {year!r}")
    return str(year)


def default_data() -> Path:
    """``$WQM_DATA`` if set; in a source checkout its ``sample_data/``; else an error."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    sample = _CHECKOUT_ROOT / "sample_data"
    if (sample / "schools.csv").exists():
        return sample
    raise SettingsError(
        f"no data location: pass --data PATH (a store or a CSV folder) or set {DATA_ENV}; "
        f"`wqm sample --out DIR` writes a demo trust"
    )


def data_location(data: str | Path = "") -> Path:
    """The data location a run reads: ``data`` if given, else :func:`default_data`; it must exist."""
    path = Path(data) if data else default_data()
    if not path.exists():
        raise SettingsError(f"no data at {path} (expected a store file or a CSV folder)")
    return path.resolve()


def today() -> str:
    """Today's date, ``YYYY-MM-DD``: what an unset ``as_of`` means. The one read of the clock on the way to a
    report; everything a report works out from a date uses the settings' explicit ``as_of``."""
    return date.today().isoformat()


def check_as_of(value: Any) -> str:
    """``value`` (a date or ``YYYY-MM-DD``) as ``YYYY-MM-DD``; empty means :func:`today`."""
    if isinstance(value, date):
        return value.isoformat()[:10]
    text = _check_text("as_of", value).strip()
    if not text:
        return today()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise SettingsError(f"as_of must be a date written YYYY-MM-DD, got {value!r}") from None


def _check_min_group_size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_GROUP_SIZE_FLOOR:
        raise SettingsError(
            f"min_group_size must be a whole number of at least {MIN_GROUP_SIZE_FLOOR} (a group of "
            f"one or two can be identified), got {value!r}"
        )
    return value


def _check_text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise SettingsError(f"{name} must be text, got {type(value).__name__} {value!r}")
    return value


@dataclass(frozen=True)
class _RunSettings:
    """Fields every run shares."""

    year: str = ""
    data: str = ""
    framework: str = DEFAULT_FRAMEWORK
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    #: a benchmark file (published national or regional figures, ``.yaml``/``.yml``/``.csv``); '' for none
    benchmarks: str = ""
    #: the day the run is "as of", ``YYYY-MM-DD``: every date a report or overview works out (its date,
    #: overdue targets, review dates, term ends) comes from it; '' (or omitted) is resolved to today at once,
    #: so the settings, and the notebook parameters made from them, always carry an explicit date
    as_of: str = ""
    #: stand-ins this run reads in place of file parameters, ``{parameter: local path}``: a CSV folder's
    #: scratch store, a Dask worker's copies, a batch's summaries. The real values stay in the parameters,
    #: so a kept notebook names what it was made from; a stand-in that no longer exists is not read, so
    #: the kept notebook re-runs from the real thing (see :meth:`reading`)
    data_cache: dict[str, str] = field(default_factory=dict)

    NOTEBOOK_FIELDS: ClassVar[tuple[str, ...]] = ()
    #: the parameters a stand-in may replace
    CACHEABLE: ClassVar[tuple[str, ...]] = ("data", "framework", "benchmarks")
    #: what the settings are of, in an error about an unknown parameter ("report", "group")
    KIND: ClassVar[str] = "run"

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any]):
        """The settings a notebook's parameters describe (the notebook's own loader calls this): every name
        must be one of :attr:`NOTEBOOK_FIELDS`; an empty ``framework``, a ``None`` ``min_group_size`` and a
        ``None`` text mean the default."""
        unknown = set(parameters) - set(cls.NOTEBOOK_FIELDS)
        if unknown:
            raise SettingsError(f"unknown {cls.KIND} setting(s): {', '.join(sorted(unknown))}")
        given = {k: v for k, v in parameters.items() if not (v is None or (k == "framework" and not v))}
        if "report_links" in given:
            given["report_links"] = dict(given["report_links"] or {})
        if "data_cache" in given:
            given["data_cache"] = dict(given["data_cache"] or {})
        return cls(**given).reading()

    def reading(self):
        """The settings as this run reads them: each :attr:`data_cache` stand-in that exists in place of
        its parameter, and no stand-ins left."""
        present = {k: v for k, v in self.data_cache.items() if Path(v).exists()}
        return self.replace(**present, data_cache={}) if self.data_cache else self

    def __post_init__(self) -> None:
        _check_text("year", self.year)
        if self.year:
            check_academic_year(self.year)
        _check_text("data", str(self.data) if isinstance(self.data, Path) else self.data)
        if isinstance(self.data, Path):
            object.__setattr__(self, "data", str(self.data))
        if not _check_text(
            "framework", str(self.framework) if isinstance(self.framework, Path) else self.framework
        ).strip():
            raise SettingsError(
                "framework is empty: name a framework id (wqm, vbe, leadership_management) or a framework YAML file"
            )
        if isinstance(self.framework, Path):
            object.__setattr__(self, "framework", str(self.framework))
        _check_min_group_size(self.min_group_size)
        object.__setattr__(self, "as_of", check_as_of(self.as_of))
        if isinstance(self.benchmarks, Path):
            object.__setattr__(self, "benchmarks", str(self.benchmarks))
        if not isinstance(self.data_cache, dict):
            raise SettingsError(
                f"data_cache must be a mapping of parameter to path, got {type(self.data_cache).__name__}"
            )
        unknown = sorted(set(self.data_cache) - set(self.CACHEABLE))
        if unknown:
            raise SettingsError(
                f"data_cache names {', '.join(map(repr, unknown))}: a stand-in can replace {', '.join(self.CACHEABLE)}"
            )
        object.__setattr__(
            self,
            "data_cache",
            {
                k: _check_text(f"data_cache[{k!r}]", str(v) if isinstance(v, Path) else v)
                for k, v in self.data_cache.items()
            },
        )
        if (
            _check_text("benchmarks", self.benchmarks).strip()
            and Path(self.benchmarks).suffix.lower() not in BENCHMARK_SUFFIXES
        ):
            raise SettingsError(
                f"benchmarks must be a benchmark file ({', '.join(BENCHMARK_SUFFIXES)}), got {self.benchmarks!r}"
            )

    @property
    def as_of_date(self) -> date:
        """:attr:`as_of` as a date."""
        return date.fromisoformat(self.as_of)

    @property
    def data_path(self) -> Path:
        """The data location: ``data`` if set, else :func:`default_data`."""
        return data_location(self.data)

    @property
    def framework_ref(self) -> str:
        """The framework as a notebook running elsewhere can load it: an id, or an absolute file path."""
        if Path(self.framework).suffix.lower() in (".yaml", ".yml"):
            path = Path(self.framework)
            if not path.exists():
                raise SettingsError(f"no framework file at {path}")
            return str(path.resolve())
        return self.framework

    @property
    def benchmarks_ref(self) -> str:
        """The benchmark file as a notebook running elsewhere can open it: an absolute path ('' for none)."""
        if not self.benchmarks.strip():
            return ""
        path = Path(self.benchmarks)
        if not path.is_file():
            raise SettingsError(f"no benchmark file at {path}")
        return str(path.resolve())

    def to_parameters(self) -> dict[str, Any]:
        """The notebook parameters of this run, with paths made absolute."""
        return self._parameters()

    def _parameters(self, resolve_data: bool = True) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name in self.NOTEBOOK_FIELDS}
        # a parameter with a stand-in is passed as given: the real thing may not be on this machine
        if resolve_data and "data" not in self.data_cache:
            values["data"] = str(self.data_path)
        if "framework" not in self.data_cache:
            values["framework"] = self.framework_ref
        if "benchmarks" in values and "benchmarks" not in self.data_cache:
            values["benchmarks"] = self.benchmarks_ref
        return values

    def replace(self, **changes: Any):
        """A copy with some fields changed (validated again)."""
        return type(self)(**{**asdict(self), **changes})


@dataclass(frozen=True)
class ReportSettings(_RunSettings):
    """One school's report. ``year`` empty means the school's latest year."""

    school_id: str = ""
    output: str = DEFAULT_REPORT_DIR

    NOTEBOOK_FIELDS: ClassVar[tuple[str, ...]] = (
        "school_id",
        "year",
        "data",
        "framework",
        "min_group_size",
        "benchmarks",
        "as_of",
        "data_cache",
    )
    KIND: ClassVar[str] = "report"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_school_id(_check_text("school_id", self.school_id))
        _check_text("output", str(self.output))


@dataclass(frozen=True)
class GroupSettings(_RunSettings):
    """A group overview: every school of ``trust`` (all schools if empty) in one year
    (the latest year in the data if empty). ``report_links`` maps school ids to the
    file names of their reports, for links from the overview."""

    trust: str = ""
    output: str = DEFAULT_BATCH_DIR
    report_links: dict[str, str] = field(default_factory=dict)
    #: a file of per-school summaries a batch made as each report finished
    #: (:func:`wqm_nb.model.group.save_summaries`): the overview is built from them, not from ``data``
    summaries: str = ""

    NOTEBOOK_FIELDS: ClassVar[tuple[str, ...]] = (
        "year",
        "data",
        "trust",
        "framework",
        "min_group_size",
        "report_links",
        "benchmarks",
        "summaries",
        "as_of",
        "data_cache",
    )
    CACHEABLE: ClassVar[tuple[str, ...]] = ("data", "framework", "benchmarks", "summaries")
    KIND: ClassVar[str] = "group"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_text("trust", self.trust)
        if isinstance(self.summaries, Path):
            object.__setattr__(self, "summaries", str(self.summaries))
        _check_text("summaries", self.summaries)
        if not isinstance(self.report_links, dict):
            raise SettingsError(
                f"report_links must be a mapping of school id to file name, got {type(self.report_links).__name__}"
            )
        object.__setattr__(
            self, "report_links", {check_school_id(k, "report_links key"): str(v) for k, v in self.report_links.items()}
        )

    def to_parameters(self) -> dict[str, Any]:
        """The notebook parameters; with ``summaries`` the data is not read, so it is passed as given
        (a worker on another machine need not see it)."""
        return self._parameters(resolve_data=not (self.summaries or self.data_cache.get("summaries")))

"""What a page may read and write: a :class:`Scope`, enforced by a :class:`ScopedStore`.

A served page acts for one person: the consultant (the server token), or the
holder of a signed link (:mod:`wqm_nb.serve.links`). Their :class:`Scope`
names

* the **schools** they may see (``None``: every school, the consultant);
* the **year** they are bound to (``""``: any year): they may read that year
  and the school's earlier years (a report's trends and an award's
  consecutive years need them), and write to that year only;
* the **framework** their writes go to (``""``: any);
* the **page** they opened, and their **rights**: ``read`` and the writes of
  :data:`WRITE_RIGHTS` (``write_sef``, ``import_survey``, ``start_year``,
  ``record_award``, and the consultant's own ``add_school`` and ``comments``);
* the **link id** that every record they write carries beside the name typed
  in the form (``recorded_by``, ``author``, ``imported_by``, ``assessor``).

:meth:`Store.scoped` wraps an open store in a :class:`ScopedStore`. Every
method of the store that an app may call is listed in :data:`METHODS` with
what it touches (a school, a school year, a cycle) and the right it needs; the
scoped store checks each call against the scope before the store runs it and
raises :class:`~wqm_nb.errors.ScopeError` otherwise. Listings (``schools()``,
``school_years()``, ``cycles()``, ...) are narrowed to the scope. A method
that is not listed, and the store's connection, cannot be reached through a
scoped store at all, so a method added to the store later is refused until it
is listed here. Widgets list only what is in scope, but their ``disabled``
flags are cosmetic: this is the check.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..errors import ScopeError, UnknownYearError

if TYPE_CHECKING:
    from .store import Store

READ = "read"
WRITE_SEF = "write_sef"
IMPORT_SURVEY = "import_survey"
START_YEAR = "start_year"
RECORD_AWARD = "record_award"
#: the consultant's own rights: add a school; read the kept survey comments
ADD_SCHOOL = "add_school"
COMMENTS = "comments"
#: every write right a scope can hold
WRITE_RIGHTS = (WRITE_SEF, IMPORT_SURVEY, START_YEAR, RECORD_AWARD, ADD_SCHOOL)
RIGHTS = (READ, *WRITE_RIGHTS, COMMENTS)
#: the rights a link may be given (the consultant's own are not among them)
LINK_RIGHTS = (READ, WRITE_SEF, IMPORT_SURVEY, START_YEAR, RECORD_AWARD)
#: what a link to each page may do when it names no rights (links signed before rights were signed)
PAGE_RIGHTS = {
    "report": frozenset({READ}),
    "capture": frozenset({READ, WRITE_SEF}),
    "survey-import": frozenset({READ, IMPORT_SURVEY}),
}
#: the survey the capture form's staff audit tab writes: part of the self-evaluation, so ``write_sef`` may write it
STAFF_AUDIT = "staff_audit"


@dataclass(frozen=True)
class Scope:
    """Who a page acts for and what they may touch (see the module notes)."""

    schools: frozenset[str] | None = None
    year: str = ""
    framework: str = ""
    page: str = ""
    rights: frozenset[str] = frozenset({READ})
    link_id: str = ""

    @classmethod
    def consultant(cls, page: str = "") -> Scope:
        """Everything: every school and year, every right (the server token, or no server at all)."""
        return cls(page=page, rights=frozenset(RIGHTS))

    @classmethod
    def link(
        cls,
        school: str,
        year: str = "",
        *,
        page: str,
        framework: str = "",
        rights: frozenset[str] | tuple[str, ...] | None = None,
        link_id: str = "",
    ) -> Scope:
        """A link holder's scope: one school, the link's year, framework and rights (its page's when None)."""
        given = frozenset(rights) if rights is not None else PAGE_RIGHTS.get(page, frozenset({READ}))
        unknown = given - set(LINK_RIGHTS)
        if unknown:
            raise ScopeError(f"a link cannot carry the right(s) {', '.join(sorted(unknown))}")
        return cls(frozenset({school}), year, framework, page, given | {READ}, link_id)

    @property
    def is_consultant(self) -> bool:
        return self.schools is None

    def with_year(self, year: str) -> Scope:
        """The same scope bound to ``year`` (a link without a year, once the year it shows is known)."""
        return replace(self, year=year)

    def may_see_school(self, school_id: str) -> bool:
        return self.schools is None or school_id in self.schools

    def may_read(self, school_id: str, year: str | None = None) -> bool:
        """Whether the school (and that year of it) may be read: the bound year and earlier ones."""
        return self.may_see_school(school_id) and (not year or not self.year or year <= self.year)

    def may_write(self, right: str, school_id: str, year: str | None = None, framework: str | None = None) -> bool:
        """Whether ``right`` may be used on that school, year and framework: the bound year only."""
        return (
            right in self.rights
            and self.may_see_school(school_id)
            and (year is None or not self.year or year == self.year)
            and (framework is None or not self.framework or framework == self.framework)
        )

    def signature(self, name: str) -> str:
        """What a record written under this scope says wrote it: the typed name, and the link id after it."""
        name = str(name or "").strip()
        if not self.link_id:
            return name
        return f"{name} (link {self.link_id})" if name else f"link {self.link_id}"


def scope_from_query(query: dict[str, str], page: str, year: str = "") -> Scope:
    """The scope of a served page from its URL parameters, which the server has already checked
    (:mod:`wqm_nb.serve.links`): a link's (``sig`` with ``school``, ``year``, and for links that carry an id
    ``lid``, ``framework`` and ``rights``) or, with no ``sig``, the consultant's. An older link without a
    year is bound to ``year`` when given (the year its form opens on)."""
    if "sig" not in query:
        return Scope.consultant(page)
    if query.get("lid"):
        rights = frozenset(r for r in query.get("rights", "").split(",") if r)
        scope = Scope.link(
            query.get("school", ""),
            query.get("year", ""),
            page=page,
            framework=query.get("framework", ""),
            rights=rights,
            link_id=query["lid"],
        )
    else:
        scope = Scope.link(query.get("school", ""), query.get("year", ""), page=page)
    return scope if scope.year or not year else scope.with_year(year)


# --------------------------------------------------------------------------
# the store's methods, as a scoped store may call them


@dataclass(frozen=True)
class Access:
    """How a scoped store checks one store method.

    ``right`` is :data:`READ` or a write right; ``key`` names what the call
    touches: ``school`` (argument ``school_id``), ``school_year`` (``school_id``
    and ``year``/``academic_year``), ``school_year_id``, ``cycle_id``, or
    ``none``. ``listing`` narrows the result (rows with ``school_id`` and, if
    present, ``academic_year``) instead of refusing an unnarrowed call.
    ``signed`` names the arguments that record who wrote (they get the link id)."""

    right: str
    key: str = "none"
    listing: bool = False
    signed: tuple[str, ...] = ()
    framework_arg: str = ""


def _read(key: str = "none", listing: bool = False) -> Access:
    return Access(READ, key, listing)


METHODS: dict[str, Access] = {
    # schools and years
    "schools": _read(listing=True),
    "school": _read("school"),
    "school_years": _read("school", listing=True),
    "school_year": _read("school_year"),
    "cycles": _read("school", listing=True),
    "cycle": _read("school_year"),
    "cycle_place": _read("cycle_id"),
    # surveys
    "survey_imports": _read("school_year_id", listing=True),
    "survey_data": _read("school_year_id"),
    "survey_scores": _read("school_year_id"),
    "survey_responses": _read("school_year_id"),
    "survey_comments": Access(COMMENTS, "school_year_id"),
    "form_tallies": _read("school_year_id"),
    # a cycle's records
    "current_ratings": _read("cycle_id"),
    "current_elements": _read("cycle_id"),
    "rating_history": _read("cycle_id"),
    "element_history": _read("cycle_id"),
    "reflections": _read("cycle_id"),
    "reflection_history": _read("cycle_id"),
    "notes": _read("cycle_id"),
    "current_notes": _read("cycle_id"),
    "note_history": _read("cycle_id"),
    "target": _read("cycle_id"),
    "targets": _read("cycle_id"),
    "target_history": _read("cycle_id"),
    "award_decisions": _read("school", listing=True),
    "benchmarks": _read("school_year"),
    "school_data_version": _read("school_year"),
    # writes
    "add_school": Access(ADD_SCHOOL),
    "ensure_school_year": Access("any write", "school_year"),
    "ensure_cycle": Access(WRITE_SEF, "school_year", framework_arg="framework"),
    "start_year": Access(START_YEAR, "school_year", signed=("recorded_by",), framework_arg="framework"),
    "record_ratings": Access(WRITE_SEF, "cycle_id", signed=("recorded_by",)),
    "record_rating": Access(WRITE_SEF, "cycle_id", signed=("recorded_by",)),
    "record_reflection": Access(WRITE_SEF, "cycle_id", signed=("author",)),
    "add_note": Access(WRITE_SEF, "cycle_id", signed=("author",)),
    "record_target": Access(WRITE_SEF, "cycle_id", signed=("recorded_by",)),
    "import_survey": Access(IMPORT_SURVEY, "school_year_id", signed=("imported_by",)),
    # a form's mapping: a link saves its own school's only (a trust's is the consultant's)
    "find_import_mapping": _read("school"),
    "save_import_mapping": Access(IMPORT_SURVEY, "school", signed=("saved_by",)),
    "record_award_decision": Access(
        RECORD_AWARD, "school_year", signed=("assessor", "recorded_by"), framework_arg="framework"
    ),
}
#: attributes a scoped store passes through unchecked: they hold no school's data
PLAIN = frozenset(
    {
        "path",
        "read_only",
        "version",
        "scratch",
        "clock",
        "busy",
        "migrated_from",
        "backup",
        "threshold",
        "threshold_set",
        "benchmarks_threshold",
        "origin",
    }
)


class ScopedStore:
    """A :class:`~wqm_nb.store.Store` seen through a :class:`Scope` (see the module notes)."""

    def __init__(self, store: Store, scope: Scope):
        self._store = store
        self.scope = scope
        self._methods: dict[str, Callable[..., Any]] = {}

    def __repr__(self) -> str:
        return f"<ScopedStore {self._store.path} for {self.scope}>"

    # -- what passes through -------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name in PLAIN:
            return getattr(self._store, name)
        if name not in METHODS:
            raise ScopeError(f"{name} is not available on this page")
        if name not in self._methods:
            self._methods[name] = self._checked(name, METHODS[name])
        return self._methods[name]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """The store's transaction (its connection stays inside the store)."""
        with self._store.transaction():
            yield None

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> ScopedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def benchmarks_releases(self, academic_year: str, framework: str) -> dict[str, str] | None:
        """The consultant's only: the release of every school the cached benchmarks were computed from names
        other schools (a link's kernel reads its school's cached benchmarks as they are)."""
        if not self.scope.is_consultant:
            raise ScopeError("benchmarks_releases is not available on this page")
        return self._store.benchmarks_releases(academic_year, framework)

    def scoped(self, scope: Scope) -> ScopedStore:
        """A narrower view is not offered: scope the store itself."""
        raise ScopeError("a scoped store cannot be scoped again")

    # -- the check ----------------------------------------------------------

    def _checked(self, name: str, access: Access) -> Callable[..., Any]:
        method = getattr(self._store, name)
        signature = inspect.signature(method)

        def call(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            values = bound.arguments
            if access.listing and self._unnarrowed(access, values):
                return self._narrow(method(*bound.args, **bound.kwargs))
            school, year, framework = self._place(access, values)
            if access.framework_arg:
                framework = values.get(access.framework_arg) or framework
            self._check(name, access, school, year, framework, values)
            if self.scope.link_id:
                for arg in access.signed:
                    values[arg] = self.scope.signature(values.get(arg, ""))
                if name == "record_ratings":  # rows may name who wrote them too
                    values["ratings"] = [
                        {**row, "recorded_by": self.scope.signature(row.get("recorded_by") or values["recorded_by"])}
                        for row in values["ratings"]
                    ]
            result = method(*bound.args, **bound.kwargs)
            if (
                name == "school_year"
                and not values.get("year")
                and self.scope.year
                and result["academic_year"] > self.scope.year
            ):  # "the latest" means the latest in scope
                years = [y for y in self.school_years(school) if y["academic_year"] <= self.scope.year]
                if not years:
                    raise UnknownYearError(school, self.scope.year, [])
                return years[-1]
            return self._narrow(result) if access.listing else result

        call.__name__ = name
        call.__doc__ = method.__doc__
        return call

    def _unnarrowed(self, access: Access, values: dict) -> bool:
        """A listing called without the school (or school year) it would be checked by."""
        if access.key == "school":
            return not values.get("school_id")
        if access.key == "school_year_id":
            return values.get("school_year_id") is None
        return True

    def _place(self, access: Access, values: dict) -> tuple[str, str | None, str | None]:
        """(school, year, framework) a call touches (``None``: not one year, or not one framework)."""
        store = self._store
        if access.key == "none":
            return "", None, None
        if access.key == "school":
            return str(values.get("school_id") or ""), None, None
        if access.key == "school_year":
            year = values.get("year", values.get("academic_year"))
            return str(values.get("school_id") or ""), (str(year) if year else None), None
        if access.key == "school_year_id":
            place = store.school_year_place(values["school_year_id"])
        else:
            place = store.cycle_place(values["cycle_id"])
        if place is None:
            raise ScopeError("no such record on this page")
        return place["school_id"], place["academic_year"], place.get("framework")

    def _check(
        self, name: str, access: Access, school: str, year: str | None, framework: str | None, values: dict
    ) -> None:
        scope = self.scope
        right = access.right
        if right == IMPORT_SURVEY and values.get("survey") == STAFF_AUDIT and WRITE_SEF in scope.rights:
            right = WRITE_SEF  # the capture form's staff audit tally is self-evaluation
        if name == "save_import_mapping" and values.get("for_trust") and not scope.is_consultant:
            raise ScopeError("this page may save a mapping for its own school only, not for the whole trust")
        if right == "any write":
            allowed = any(scope.may_write(r, school, year) for r in WRITE_RIGHTS)
        elif right == READ:
            allowed = READ in scope.rights and scope.may_read(school, year)
        elif right in (ADD_SCHOOL, COMMENTS):
            allowed = right in scope.rights and (not school or scope.may_see_school(school))
        else:
            allowed = scope.may_write(right, school, year, framework)
        if not allowed:
            what = " ".join(x for x in (school, year or "", framework or "") if x) or "this"
            if right == READ:
                raise ScopeError(f"this page does not show {what}")
            raise ScopeError(f"this page may not {name.replace('_', ' ')} for {what}")

    def _narrow(self, rows: Any) -> Any:
        """Rows of a listing that lie in the scope (rows without a school are kept only for the consultant)."""
        if self.scope.is_consultant and not self.scope.year:
            return rows
        places = {}
        kept = []
        for row in rows:
            school = row.get("school_id")
            year = row.get("academic_year")
            if school is None and "school_year_id" in row:
                sy = row["school_year_id"]
                if sy not in places:
                    places[sy] = self._store.school_year_place(sy)
                place = places[sy] or {}
                school, year = place.get("school_id"), place.get("academic_year")
            if school is not None and self.scope.may_read(school, year):
                kept.append(row)
        return kept


__all__ = [
    "ADD_SCHOOL",
    "COMMENTS",
    "IMPORT_SURVEY",
    "LINK_RIGHTS",
    "METHODS",
    "PAGE_RIGHTS",
    "READ",
    "RECORD_AWARD",
    "RIGHTS",
    "START_YEAR",
    "STAFF_AUDIT",
    "Scope",
    "ScopedStore",
    "scope_from_query",
    "WRITE_RIGHTS",
    "WRITE_SEF",
]

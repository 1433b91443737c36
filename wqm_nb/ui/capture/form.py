"""The capture form whole: the school year's form (:class:`CycleForm`), the app around it (:class:`CaptureApp`:
who is writing, which school and year) and the scope it opens on (:func:`capture_scope`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import ipywidgets as widgets

from ...data import Framework, load_framework, load_mapping, load_question_bank
from ...data.frameworks import SORTINGS
from ...errors import WqmError
from ...model.capture import CaptureProgress, capture_progress
from ...model.year import year_result
from ...settings import (
    DEFAULT_FRAMEWORK,
    DEFAULT_MIN_GROUP_SIZE,
    check_academic_year,
    data_location,
)
from ...store import PHASES, Scope, Store
from ...store.scope import (
    ADD_SCHOOL,
    RECORD_AWARD,
    START_YEAR,
    WRITE_SEF,
    scope_from_query,
)
from ...store.store import academic_year_of, store_file_for_writing
from .autosave import AUTOSAVE_DELAY, Autosave, clock_time
from .fields import ElementRow, TextField, esc, note_field
from .panels import STAFF_AUDIT, AuditPanel, AwardDecisionPanel, TargetsPanel


@dataclass(frozen=True)
class CaptureScope:
    """Which school, year and framework the form opens on, and the page's scope (what it may read and
    write: a signed link's school, year, framework and rights)."""

    school_id: str
    year: str
    framework: str
    scope: Scope = Scope.consultant("capture")

    @property
    def fixed(self) -> bool:
        """Whether the user is held to one school (a link)."""
        return not self.scope.is_consultant


def capture_scope(*, school_id: str, year: str, framework: str = DEFAULT_FRAMEWORK) -> CaptureScope:
    """The school, year, framework and scope from the page's URL in Voila (a signed link fixes the school,
    the year and, when it signs one, the framework), else the parameters with the consultant's scope."""
    from ..report_app import in_voila, page_query

    if not in_voila():
        return CaptureScope(school_id, year, framework)
    query = page_query()
    scope = scope_from_query(query, "capture", query.get("year", "") or year)
    if not scope.is_consultant:  # verified by the server: one school, its year and framework
        return CaptureScope(query.get("school", ""), scope.year, scope.framework or framework, scope)
    return CaptureScope(
        query.get("school") or school_id, query.get("year") or year, query.get("framework") or framework, scope
    )


class CycleForm(widgets.VBox):
    """The form for one school, year and framework (see the module notes)."""

    def __init__(self, app: CaptureApp, school_id: str, year: str, framework: Framework):
        self.app, self.school_id, self.year, self.framework = app, school_id, year, framework
        self.autosave = app.autosave
        self.last_saved = ""
        self._cycle_id: int | None = None
        self.current: dict[str, dict] = {}
        self.bank = load_question_bank()
        self.mapping = load_mapping(framework, self.bank)
        started = None
        if self.read(lambda store: store.cycle(school_id, year, framework.id)) is None and app.scope.may_write(
            START_YEAR, school_id, year, framework.id
        ):
            started = self.write(
                lambda store: store.start_year(school_id, year, framework.id, recorded_by=app.who), "the year"
            )
        self._cycle_id = self.read(lambda store: (store.cycle(school_id, year, framework.id) or {}).get("cycle_id"))
        cycle_id = self._cycle_id
        self.current = self.read(lambda store: store.current_elements(cycle_id)) if cycle_id else {}
        self.base, self.earlier = self._year_results()
        self.progress = widgets.HTML()
        self.section_progress: dict[str, widgets.HTML] = {}
        self.elements: dict[str, ElementRow] = {}
        self.notes: dict[str, TextField] = {}
        self.reflections: dict[str, TextField] = {}
        tabs, titles = [], []
        for p in framework.principles:
            self.section_progress[p.id] = widgets.HTML()
            rows = []
            for e in p.elements:
                self.elements[e.id] = ElementRow(self, p.id, e.id, e.text)
                rows.append(self.elements[e.id])
            intro = f"<h3>{esc(framework.section_label)} {esc(p.id)}: {esc(p.name)}</h3>"
            if p.key_question:
                intro += f"<p><i>{esc(p.key_question)}</i></p>"
            self.notes[p.id] = note_field(self, p.id, f"Adviser's note on {p.id}")
            tabs.append(widgets.VBox([widgets.HTML(intro), self.section_progress[p.id], *rows, self.notes[p.id]]))
            titles.append(p.id)
        self.targets = TargetsPanel(self)
        tabs.append(self.targets)
        titles.append("Targets")
        adviser = [note_field(self, "", "Adviser's note on the whole school")]
        self.notes[""] = adviser[0]
        cid = self._cycle_id
        for r in framework.reflections:

            def current_of(store: Store, rid: str = r.id) -> dict | None:
                # a year not started has no reflections yet (and no record a link's scope could read)
                return store.reflections(cid).get(rid) if cid is not None else None

            def save(store: Store, value: str, rid: str = r.id) -> int:
                return store.record_reflection(
                    self.cycle_id(store), rid, value, author=self.who, framework=self.framework
                )

            def history(store: Store, rid: str = r.id) -> list[dict]:
                cycle_id = self.cycle_id_known
                return store.reflection_history(cycle_id, rid) if cycle_id is not None else []

            current = self.read(current_of) or {}
            self.reflections[r.id] = TextField(
                self,
                ("reflection", r.id),
                f"{r.title} ({'school' if r.author == 'school' else 'adviser'})",
                current.get("text", ""),
                current.get("recorded_at", ""),
                save,
                history,
            )
            adviser.append(self.reflections[r.id])
        # an award decision is the consultant's: never offered through a school's signed link
        self.awards = AwardDecisionPanel(self) if framework.has_levels and RECORD_AWARD in app.scope.rights else None
        if self.awards is not None:
            adviser.append(self.awards)
        tabs.append(widgets.VBox(adviser))
        titles.append("Adviser")
        self.audit = None
        if STAFF_AUDIT in self.bank.surveys and self.mapping.is_mapped(STAFF_AUDIT):
            self.audit = AuditPanel(self, self.bank, self.mapping)
            tabs.append(self.audit)
            titles.append("Staff audit")
        self.tabs = widgets.Tab(children=tabs, titles=titles)
        carried = ""
        if started and started.get("carried"):
            carried = (
                f"<p class='wqm-ok'>Started {esc(year)}: {len(started['carried'])} open target(s) carried "
                f"from {esc(started['from_year'])}.</p>"
            )
        #: whether this page may change this year (a link writes to its own year only; the store checks it)
        self.writable = app.scope.may_write(WRITE_SEF, school_id, year, framework.id)
        if not self.writable:
            carried += (
                f"<p class='wqm-note' role='note'>{esc(year)} is shown read-only here: this link writes to "
                f"{esc(app.scope.year or 'its own year')} only.</p>"
            )
        super().__init__([widgets.HTML(carried), self.progress, self.tabs])
        self.refresh_progress()

    # -- store access ---------------------------------------------------------

    @property
    def who(self) -> str:
        return self.app.who

    @property
    def cycle_id_known(self) -> int | None:
        return self._cycle_id

    def cycle_id(self, store: Store) -> int:
        """The cycle's id, starting the year (carrying targets) if it has none yet."""
        if self._cycle_id is None:
            self._cycle_id = store.start_year(self.school_id, self.year, self.framework.id, recorded_by=self.who)[
                "cycle_id"
            ]
        return self._cycle_id

    def year_of_cycle(self, cycle_id: int) -> str:
        place = self.read(lambda store: store.cycle_place(cycle_id))
        return place["academic_year"] if place else "an earlier year"

    def write(self, action: Callable[[Store], Any], what: str) -> Any:
        """Run ``action`` on the store; on success note the time and return its result (never None
        for a write), on a WqmError show it in the form and return None."""
        return self.app.write(action, what, self)

    def read(self, action: Callable[[Store], Any]) -> Any:
        return self.app.read(action)

    def show_error(self, message: str) -> None:
        self.app.show_error(message)

    def rating_label(self, value: int | None) -> str:
        if value is None:
            return "not rated"
        level = next((lv for lv in self.framework.scale.levels if lv.value == value), None)
        return f"{value} {level.label}" if level else str(value)

    # -- progress -------------------------------------------------------------

    def _year_results(self):
        app = self.app

        def compute(store: Store):
            years = [y for y in store.school_years(self.school_id) if y["academic_year"] <= self.year]
            results = tuple(
                year_result(store, y, self.framework, self.bank, self.mapping, app.min_group_size) for y in years
            )
            return results[-1], results[:-1]

        return compute(self.app.store)  # an error (a release not published yet) stops the form, with its reason

    def compute_progress(self) -> CaptureProgress:
        decisions = self.read(lambda store: store.award_decisions(self.school_id, self.framework.id)) or []
        return capture_progress(self.framework, self.current, self.base, self.earlier, decisions)

    def refresh_progress(self) -> None:
        """Recompute completion and the next level's missing criteria from the current values."""
        progress = self.compute_progress()
        for s in progress.sections:
            self.section_progress[s.principle_id].value = f"<p class='wqm-progress'>{esc(s.summary)}</p>"
        parts = [
            f"<p class='wqm-progress'><b>{progress.percent_complete}% complete</b>: {progress.complete} of "
            f"{progress.elements} elements rated with evidence ({progress.rated} rated, "
            f"{progress.with_evidence} with evidence).</p>"
        ]
        if progress.has_levels:
            if progress.achieved:
                parts.append(f"<p>With these values the school meets <b>{esc(progress.achieved.name)}</b>.</p>")
            if progress.next_level is None:
                parts.append("<p>Every award level is met.</p>")
            else:
                items = "".join(
                    f"<li><b>{esc(pid)}</b>: {esc('; '.join(reasons))}</li>"
                    for pid, reasons in progress.missing.items()
                )
                parts.append(
                    f"<details open><summary>Still missing for <b>{esc(progress.next_level.name)}</b>"
                    f"</summary><ul>{items}</ul></details>"
                )
        else:
            todo = [
                f"{s.principle_id} ({s.elements - s.complete})" for s in progress.sections if s.complete < s.elements
            ]
            if todo:
                parts.append(
                    f"<p>Still to complete (elements without a rating or evidence): {esc(', '.join(todo))}.</p>"
                )
        self.progress.value = "".join(parts)


class CaptureApp(widgets.VBox):
    """The capture form: who is writing, which school and year, then the :class:`CycleForm`."""

    def __init__(
        self,
        school_id: str = "",
        year: str = "",
        data: str = "",
        framework: str = DEFAULT_FRAMEWORK,
        scope: Scope | None = None,
        who: str = "",
        autosave_delay: float = AUTOSAVE_DELAY,
        min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    ):
        self.path = str(store_file_for_writing(data_location(data), "the capture form"))
        self.framework = load_framework(framework)
        self.autosave = Autosave(autosave_delay)
        self.min_group_size = min_group_size
        self.scope = scope or Scope.consultant("capture")
        #: whether the form is held to one school (a link): its school list, and the store, say so
        self.school_fixed = not self.scope.is_consultant
        self.who = who.strip()
        self.last_saved = ""
        self.form: CycleForm | None = None
        # every read and write checked against the scope: a ScopedStore, which stands in for the store (it
        # passes Store's methods through, checked)
        self.store = cast(Store, Store.open(self.path).scoped(self.scope))
        self.status = widgets.HTML(layout=widgets.Layout(min_height="1.5em"))
        self.status.add_class("wqm-status")
        schools = self.store.schools()
        options = [(f"{s['name']} ({s['school_id']})", s["school_id"]) for s in schools]
        self.school = widgets.Dropdown(
            options=options,
            value=school_id if school_id in [o[1] for o in options] else (options[0][1] if options else None),
            description="School",
            disabled=self.school_fixed,
            layout=widgets.Layout(width="28em"),
        )
        self.year = widgets.Dropdown(description="Year", layout=widgets.Layout(width="14em"))
        self.new_year = widgets.Text(placeholder="2026-27", layout=widgets.Layout(width="8em"))
        self.start_button = widgets.Button(
            description="Start new year",
            icon="calendar-plus-o",
            tooltip="Start the self-evaluation for a new academic year, carrying open targets forward",
        )
        self.name = widgets.Text(value=self.who, description="Your name", placeholder="e.g. Sam Patel (wellbeing lead)")
        self.name_button = widgets.Button(description="Start", button_style="primary")
        self.body = widgets.VBox()
        self.add_school_box = self._add_school_box() if ADD_SCHOOL in self.scope.rights else widgets.VBox()
        if START_YEAR not in self.scope.rights:  # a link bound to its year starts none
            self.new_year.layout.display = self.start_button.layout.display = "none"
        self._set_years(year)

        def on_school(_: Any) -> None:
            self._set_years()
            self._switch()

        self.school.observe(on_school, names="value")
        self.year.observe(lambda _: self._switch(), names="value")
        self.start_button.on_click(lambda _: self.start_year(self.new_year.value))
        self.name_button.on_click(lambda _: self.set_who(self.name.value))
        self.who_box = widgets.HBox([self.name, self.name_button])
        scale = "".join(
            f"<li><b>{lv.value} {esc(lv.label)}</b>: {esc(lv.descriptor)}</li>" for lv in self.framework.scale.levels
        )
        sortings = "".join(f"<li>{esc(label)}</li>" for label in SORTINGS.values())
        help_box = widgets.HTML(
            f"<details><summary>Rating scale and sorting</summary><p>{esc(self.framework.scale.name)}:</p>"
            f"<ul>{scale}</ul><p>Sort each element as the NCB framing principles tool suggests:</p>"
            f"<ul>{sortings}</ul><p>Every change is saved as you go (no Save button) and kept in the "
            f"element's history.</p></details>"
        )
        super().__init__(
            [
                widgets.HTML(f"<h2>Self-evaluation: {esc(self.framework.name)}</h2>"),
                self.who_box,
                widgets.HBox([self.school, self.year, self.new_year, self.start_button]),
                self.add_school_box,
                help_box,
                self.status,
                self.body,
            ]
        )
        self.add_class("wqm-capture")
        if self.who:
            self.who_box.layout.display = "none"
            self._switch()
        else:
            self.body.children = (widgets.HTML("<p>Enter your name to start: every change is recorded with it.</p>"),)

    # -- people, schools, years ------------------------------------------------

    def set_who(self, name: str) -> None:
        """Who is writing (asked once per session); opens the form."""
        if not name.strip():
            self.show_error("Enter your name first: every change is recorded with it.")
            return
        self.who = name.strip()
        self.name.disabled = True
        self.name_button.disabled = True
        self.status.value = f"<span class='wqm-ok'>Changes are recorded as {esc(self.who)}.</span>"
        self._switch()

    def _set_years(self, wanted: str = "") -> None:
        years = [y["academic_year"] for y in self.store.school_years(self.school.value)] if self.school.value else []
        self._quiet = True
        try:
            self.year.options = years
            if years:
                self.year.value = wanted if wanted in years else years[-1]
        finally:
            self._quiet = False
        if wanted and wanted not in years:
            self.new_year.value = wanted

    def _switch(self) -> None:
        if getattr(self, "_quiet", False):
            return
        self.autosave.flush()
        if not self.who:
            return
        if not self.school.value:
            self.body.children = (widgets.HTML("<p>No school yet: add one first.</p>"),)
            return
        if not self.year.value:
            self.body.children = (
                widgets.HTML(
                    "<p>This school has no academic year yet: type one (such as "
                    f"{academic_year_of(datetime.now())}) and press Start new year.</p>"
                ),
            )
            return
        try:
            self.form = CycleForm(self, self.school.value, self.year.value, self.framework)
        except WqmError as exc:
            self.show_error(str(exc))
            return
        self.body.children = (self.form,)

    def start_year(self, year: str) -> dict | None:
        """Start a new academic year for the school (carrying open targets) and open it."""
        try:
            year = check_academic_year(year.strip())
        except WqmError as exc:
            self.show_error(str(exc))
            return None
        started = self.write(
            lambda store: store.start_year(self.school.value, year, self.framework.id, recorded_by=self.who),
            "the new year",
        )
        if started is None:
            return None
        self._set_years(year)
        self.status.value = (
            f"<span class='wqm-ok'>Started {esc(year)}; {len(started['carried'])} open target(s) "
            f"carried{' from ' + esc(started['from_year']) if started['from_year'] else ''}."
            "</span>"
        )
        self._switch()
        return started

    def _add_school_box(self) -> widgets.Widget:
        self.new_id = widgets.Text(description="School id", placeholder="NLT09")
        self.new_name = widgets.Text(description="Name")
        self.new_phase = widgets.Dropdown(options=PHASES, description="Phase")
        self.new_trust = widgets.Text(description="Trust")
        button = widgets.Button(description="Add school", icon="plus")
        button.on_click(
            lambda _: self.add_school(
                self.new_id.value, self.new_name.value, self.new_phase.value, self.new_trust.value
            )
        )
        box = widgets.VBox(
            [widgets.HBox([self.new_id, self.new_name]), widgets.HBox([self.new_phase, self.new_trust]), button]
        )
        return widgets.Accordion(children=[box], titles=["Add a school"], selected_index=None)

    def add_school(self, school_id: str, name: str, phase: str, trust: str = "") -> bool:
        """Add a school (consultant only: not through a school's signed link) and choose it."""
        if ADD_SCHOOL not in self.scope.rights:
            self.show_error("This link opens one school's form; ask the consultant to add a school.")
            return False
        if (
            self.write(
                lambda store: store.add_school(school_id.strip(), name.strip(), phase, trust=trust.strip()),
                "the school",
            )
            is None
        ):
            return False
        self.school.options = [*self.school.options, (f"{name.strip()} ({school_id.strip()})", school_id.strip())]
        self.school.value = school_id.strip()
        self.status.value = f"<span class='wqm-ok'>Added {esc(name)} ({esc(school_id)}).</span>"
        return True

    # -- store access ---------------------------------------------------------

    def write(self, action: Callable[[Store], Any], what: str, form: CycleForm | None = None) -> Any:
        try:
            result = action(self.store)
        except WqmError as exc:
            self.show_error(f"{what} was not saved: {exc}")
            return None
        self.last_saved = self.store.clock()
        if form is not None:
            form.last_saved = self.last_saved
        self.status.value = f"<span class='wqm-ok' role='status'>saved {clock_time(self.last_saved)}</span>"
        return result if result is not None else True

    def read(self, action: Callable[[Store], Any]) -> Any:
        try:
            return action(self.store)
        except WqmError as exc:
            self.show_error(str(exc))
            return None

    def show_error(self, message: str) -> None:
        self.status.value = f"<p class='wqm-error' role='alert'>{esc(message)}</p>"

    def flush(self) -> None:
        """Save every pending change now."""
        self.autosave.flush()

    def close(self) -> None:
        """Save what is pending, close the store and the widgets."""
        if hasattr(self, "autosave"):
            self.flush()
        if hasattr(self, "store"):
            self.store.close()
        super().close()


def capture_app(
    *, school_id: str = "", year: str = "", framework: str = DEFAULT_FRAMEWORK, data: str = "", who: str = ""
) -> widgets.Widget:
    """The form for the notebook: the school (and year) from the signed link when served.

    Outside Voila the person defaults to ``$WQM_USER``; served, the form always asks.
    A CSV folder or any other problem opening the store is shown as a message, not a traceback.
    """
    from ..report_app import in_voila

    scope = capture_scope(school_id=school_id, year=year, framework=framework)
    if not who and not in_voila():  # served, the form asks: the server's user is not the person typing
        who = os.environ.get("WQM_USER", "")
    try:
        return CaptureApp(scope.school_id, scope.year, data=data, framework=scope.framework, scope=scope.scope, who=who)
    except WqmError as exc:
        return widgets.HTML(f"<p class='wqm-error' role='alert'>{esc(exc)}</p>")

"""The capture form: a school's self-evaluation, adviser notes, targets and staff audit,
saved as you go.

:class:`CaptureApp` is what ``notebooks/sef_capture.ipynb`` shows, in
JupyterLab and in Voila (``wqm capture``). It is built from the framework
file, so WQM, VbE, Leadership and Management and any custom framework get the
same form:

* a tab per section (principle, aspect, key question) with, per element, the
  rating on the framework's scale (the chosen level's descriptor shown under
  it, every descriptor in the dropdown's tooltip and in the "Rating scale"
  help), the evidence, the NCB tool's sorting ("we do this now", "we want to
  do this", "we don't want to / don't understand this") and a History button
  showing every saved change; the section's live completion and mean; the
  adviser's note for the section;
* a Targets tab (section, target, owner, review date, status; targets carried
  from last year say so), an Adviser tab (the whole-school note and the
  framework's reflections, e.g. VbE's stand-out area, next steps and audit
  conclusion, and, for the consultant only, the award decision with a Record
  button and the school's decision history) and, where the question bank has a staff audit mapped to the
  framework, a Staff audit tab for the INSET day tally;
* a header with overall completion and what is still missing for the next
  award level (the report's own award rules, :mod:`wqm_nb.model.capture`),
  and buttons to start a new year (carrying open targets) and, for the
  consultant, to add a school.

**Autosave.** There is no Save button. A change is written through the store
(an append-only history entry with who and when) once the field has been idle
for :data:`AUTOSAVE_DELAY` seconds; a text field sends its value as you type,
so leaving it saves within that delay too. One edit is one history entry, not
one per keystroke. The form then shows "saved hh:mm:ss"; an error is shown in
the form (``role=alert``), and the field keeps its value to be saved with the
next change. The person is asked for their name once per session.

A CSV folder is refused: what the form writes would be lost with the scratch
store it is read into; the message names the command that makes a store.
"""
from __future__ import annotations

import asyncio
import html
import os
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

import ipywidgets as widgets

from ..data import Framework, load_framework, load_mapping, load_question_bank
from ..data.frameworks import SORTINGS
from ..errors import WqmError
from ..model.year import year_result
from ..model.capture import CaptureProgress, capture_progress
from ..settings import DEFAULT_FRAMEWORK, DEFAULT_MIN_GROUP_SIZE, check_academic_year, data_location
from ..store import PHASES, Scope, Store
from ..store.scope import ADD_SCHOOL, RECORD_AWARD, START_YEAR, WRITE_SEF, scope_from_query
from ..store.schema import TARGET_STATUSES
from ..store.store import academic_year_of, store_file_for_writing

#: Seconds a field must be idle before its change is saved.
AUTOSAVE_DELAY = 0.8
STAFF_AUDIT = "staff_audit"
TARGET_STATUS_LABELS = {"open": "Open", "in_progress": "In progress", "achieved": "Achieved", "dropped": "Dropped"}
NO_RATING = ("\u2014 not rated \u2014", None)
NO_SORTING = ("\u2014 not sorted \u2014", "")
WIDE = widgets.Layout(width="100%")


def clock_time(stamp: str) -> str:
    """``hh:mm:ss`` (local time) of a stored ISO time; ``9 Mar 2026 15:30`` when not today."""
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return stamp or ""
    moment = moment.astimezone() if moment.tzinfo else moment
    if moment.date() == datetime.now().date():
        return moment.strftime("%H:%M:%S")
    return f"{moment.day} {moment.strftime('%b %Y %H:%M')}"


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


class Autosave:
    """Debounced saving: :meth:`touch` (re)starts a key's timer; when it runs out the key's save runs.

    In a kernel the timers live on the kernel's event loop, so a save runs
    between messages, never during one. ``delay`` 0 (or no running loop, as in
    a plain script) saves at once. :meth:`flush` runs every pending save now.
    """

    def __init__(self, delay: float = AUTOSAVE_DELAY):
        self.delay = delay
        self._pending: dict[Any, tuple[Callable[[], None], Any]] = {}

    def touch(self, key: Any, save: Callable[[], None]) -> None:
        """Schedule ``save`` for ``key`` after the delay, replacing a pending one."""
        old = self._pending.pop(key, None)
        if old and old[1] is not None:
            old[1].cancel()
        loop = None
        if self.delay > 0:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
        if loop is None:
            save()
            return
        handle = loop.call_later(self.delay, self._fire, key)
        self._pending[key] = (save, handle)

    def _fire(self, key: Any) -> None:
        entry = self._pending.pop(key, None)
        if entry:
            entry[0]()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> None:
        """Run every pending save now (before switching school or year)."""
        for key in list(self._pending):
            save, handle = self._pending.pop(key)
            if handle is not None:
                handle.cancel()
            save()


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
    from .report_app import in_voila, page_query

    if not in_voila():
        return CaptureScope(school_id, year, framework)
    query = page_query()
    scope = scope_from_query(query, "capture", query.get("year", "") or year)
    if not scope.is_consultant:     # verified by the server: one school, its year and framework
        return CaptureScope(query.get("school", ""), scope.year, scope.framework or framework, scope)
    return CaptureScope(query.get("school") or school_id, query.get("year") or year,
                        query.get("framework") or framework, scope)


# --------------------------------------------------------------------------
# one element


class HistoryView:
    """A field's History button: :meth:`toggle_history` shows or hides the ``history`` widget that
    :meth:`show_history` fills; :meth:`refresh_history` redraws it after a save when it is shown."""

    history: widgets.HTML

    def show_history(self) -> None:
        raise NotImplementedError

    def toggle_history(self) -> None:
        if self.history.layout.display == "none":
            self.show_history()
        else:
            self.history.layout.display = "none"

    def refresh_history(self) -> None:
        if self.history.layout.display != "none":
            self.show_history()


class ElementRow(HistoryView, widgets.VBox):
    """Rating, evidence and sorting of one element, with its saved state and history."""

    def __init__(self, form: "CycleForm", principle_id: str, element_id: str, text: str):
        self.form, self.element_id, self.principle_id = form, element_id, principle_id
        scale = form.framework.scale
        state = form.current.get(element_id, {})
        self.saved = (state.get("rating"), state.get("evidence", ""), state.get("sorting", ""))
        tooltip = "\n".join(f"{lv.value} {lv.label}: {lv.descriptor}" for lv in scale.levels)
        self.rating = widgets.Dropdown(options=[NO_RATING] + [(f"{lv.value} \u2013 {lv.label}", lv.value)
                                                              for lv in scale.levels],
                                       value=self.saved[0], description="Rating", tooltip=tooltip,
                                       layout=widgets.Layout(width="22em"))
        self.sorting = widgets.Dropdown(options=[NO_SORTING] + [(label, code) for code, label in SORTINGS.items()],
                                        value=self.saved[2], description="Sorting",
                                        layout=widgets.Layout(width="26em"))
        self.evidence = widgets.Textarea(value=self.saved[1], placeholder="Evidence: what shows this is happening?",
                                         continuous_update=True, layout=widgets.Layout(width="98%", height="4.5em"))
        self.help = widgets.HTML()
        self.status = widgets.HTML(self._saved_text(state.get("recorded_at", ""), state.get("recorded_by", "")))
        self.history_button = widgets.Button(description="History", icon="clock-o",
                                             tooltip=f"Every saved change of {element_id}",
                                             layout=widgets.Layout(width="8em"))
        self.history = widgets.HTML(layout=widgets.Layout(display="none"))
        for control in (self.rating, self.sorting, self.evidence):
            control.observe(self._changed, names="value")
        self.rating.observe(lambda _: self._show_help(), names="value")
        self.history_button.on_click(lambda _: self.toggle_history())
        self._show_help()
        super().__init__([
            widgets.HTML(f"<div class='wqm-element'><b>{_esc(element_id)}</b> {_esc(text)}</div>"),
            widgets.HBox([self.rating, self.sorting, self.history_button, self.status]),
            self.help, self.evidence, self.history], layout=widgets.Layout(margin="0 0 1em 0", overflow="hidden"))
        self.add_class("wqm-element-row")
        self.add_class(f"wqm-element-{element_id.replace('.', '-')}")

    @property
    def values(self) -> tuple[int | None, str, str]:
        return (self.rating.value, self.evidence.value.strip(), self.sorting.value)

    def _saved_text(self, stamp: str, who: str) -> str:
        if not stamp:
            return "<span class='wqm-saved'>not saved yet</span>"
        by = f" by {_esc(who)}" if who else ""
        return f"<span class='wqm-saved'>saved {clock_time(stamp)}{by}</span>"

    def _show_help(self) -> None:
        level = next((lv for lv in self.form.framework.scale.levels if lv.value == self.rating.value), None)
        self.help.value = (f"<div class='wqm-help'>{_esc(level.label)}: {_esc(level.descriptor)}</div>"
                           if level else "")

    def _changed(self, _change) -> None:
        self.status.value = "<span class='wqm-saved'>editing\u2026</span>"
        self.form.autosave.touch(("element", self.element_id), self.save)

    def save(self) -> None:
        """Append the element's state to its history, unless it is what was saved last."""
        values = self.values
        if values == (self.saved[0], self.saved[1].strip(), self.saved[2]):
            self.status.value = self._saved_text(self.form.current.get(self.element_id, {}).get("recorded_at", ""),
                                                 "")
            return
        rating, evidence, sorting = values
        entry = self.form.write(lambda store: store.record_rating(
            self.form.cycle_id(store), self.element_id, rating, evidence, recorded_by=self.form.who,
            framework=self.form.framework, sorting=sorting, source="form"), f"element {self.element_id}")
        if entry is None:
            self.status.value = "<span class='wqm-error'>not saved</span>"
            return
        stamp = self.form.last_saved
        self.saved = values
        self.form.current[self.element_id] = dict(rating=rating, evidence=evidence, sorting=sorting,
                                                  recorded_at=stamp, recorded_by=self.form.who)
        self.status.value = self._saved_text(stamp, self.form.who)
        self.form.refresh_progress()
        self.refresh_history()

    def show_history(self) -> None:
        """Every saved change of the element, newest first."""
        rows = self.form.read(lambda store: store.element_history(self.form.cycle_id_known, self.element_id)
                              if self.form.cycle_id_known else [])
        body = "".join(
            f"<tr><td>{_esc(r['recorded_at'])}</td><td>{_esc(r['recorded_by'])}</td>"
            f"<td>{_esc(self.form.rating_label(r['rating']))}</td><td>{_esc(SORTINGS.get(r['sorting'], ''))}</td>"
            f"<td>{_esc(r['evidence'])}</td><td>{_esc(r['source'])}</td></tr>"
            for r in reversed(rows or []))
        self.history.value = (
            f"<table class='wqm-table wqm-history'><caption>History of {_esc(self.element_id)}</caption>"
            "<thead><tr><th scope='col'>Saved</th><th scope='col'>By</th><th scope='col'>Rating</th>"
            "<th scope='col'>Sorting</th><th scope='col'>Evidence</th><th scope='col'>From</th></tr></thead>"
            f"<tbody>{body or '<tr><td colspan=6>No changes saved yet.</td></tr>'}</tbody></table>")
        self.history.layout.display = None


# --------------------------------------------------------------------------
# notes, reflections, targets, staff audit


class TextField(HistoryView, widgets.VBox):
    """A free-text field saved as a new version after each edit, with its history."""

    def __init__(self, form: "CycleForm", key: Any, title: str, value: str, stamp: str,
                 save: Callable[[Store, str], Any], history: Callable[[Store], list[dict]], placeholder: str = ""):
        self.form, self.key, self._save, self._history = form, key, save, history
        self.saved_value = value
        self.text = widgets.Textarea(value=value, placeholder=placeholder, continuous_update=True,
                                     layout=widgets.Layout(width="98%", height="6em"))
        self.status = widgets.HTML(f"<span class='wqm-saved'>saved {clock_time(stamp)}</span>" if stamp else "")
        self.history_button = widgets.Button(description="History", icon="clock-o", layout=widgets.Layout(width="8em"))
        self.history = widgets.HTML(layout=widgets.Layout(display="none"))
        self.text.observe(lambda _: self._changed(), names="value")
        self.history_button.on_click(lambda _: self.toggle_history())
        super().__init__([widgets.HTML(f"<h4>{_esc(title)}</h4>"), self.text,
                          widgets.HBox([self.history_button, self.status]), self.history],
                         layout=widgets.Layout(overflow="hidden"))

    def _changed(self) -> None:
        self.status.value = "<span class='wqm-saved'>editing\u2026</span>"
        self.form.autosave.touch(self.key, self.save)

    def save(self) -> None:
        value = self.text.value.strip()
        if value == self.saved_value.strip():
            self.status.value = ""
            return
        if self.form.write(lambda store: self._save(store, value), str(self.key[0])) is None:
            self.status.value = "<span class='wqm-error'>not saved</span>"
            return
        self.saved_value = value
        self.status.value = f"<span class='wqm-saved'>saved {clock_time(self.form.last_saved)}</span>"
        self.refresh_history()

    def show_history(self) -> None:
        rows = self.form.read(self._history) or []
        body = "".join(f"<tr><td>{_esc(r.get('recorded_at') or r.get('created_at'))}</td>"
                       f"<td>{_esc(r.get('author', ''))}</td>"
                       f"<td>{_esc((r.get('text') if 'text' in r else r.get('note')) or '(withdrawn)')}</td></tr>"
                       for r in reversed(rows))
        self.history.value = ("<table class='wqm-table wqm-history'><thead><tr><th scope='col'>Saved</th>"
                              "<th scope='col'>By</th><th scope='col'>Text</th></tr></thead>"
                              f"<tbody>{body or '<tr><td colspan=3>No changes saved yet.</td></tr>'}</tbody></table>")
        self.history.layout.display = None


def note_field(form: "CycleForm", principle_id: str, title: str) -> TextField:
    """The adviser's note for one section ('' for the whole school): editing it replaces the latest note."""
    notes = form.read(lambda store: store.current_notes(form.cycle_id_known, principle_id)
                      if form.cycle_id_known else []) or []
    latest = notes[-1] if notes else None
    state = {"note_id": latest["note_id"] if latest else None}

    def save(store: Store, value: str) -> int | None:
        if not value and state["note_id"] is None:
            return 0
        note_id = store.add_note(form.cycle_id(store), value, author=form.who, principle_id=principle_id,
                                 framework=form.framework, supersedes=state["note_id"])
        state["note_id"] = note_id if value else None
        return note_id

    field = TextField(form, ("note", principle_id), title, latest["note"] if latest else "",
                      latest["created_at"] if latest else "", save,
                      lambda store: store.note_history(form.cycle_id_known, principle_id)
                      if form.cycle_id_known else [],
                      placeholder="Adviser's note")
    if len(notes) > 1:
        earlier = "".join(f"<li>{_esc(n['note'])} <i>({_esc(n['author'])}, {_esc(n['created_at'][:10])})</i></li>"
                          for n in notes[:-1])
        field.children = (field.children[0], widgets.HTML(f"<p>Earlier notes:</p><ul>{earlier}</ul>"),
                          *field.children[1:])
    return field


class TargetRow(widgets.HBox):
    """One target: section, text, owner, review date, status; each change saved as a new entry."""

    def __init__(self, form: "CycleForm", target: dict):
        self.form, self.target_id = form, target["target_id"]
        sections = [("Whole school", "")] + [(f"{p.id} {p.name}"[:60], p.id) for p in form.framework.principles]
        self.principle = widgets.Dropdown(options=sections, value=target["principle_id"],
                                          layout=widgets.Layout(width="16em"))
        self.text = widgets.Textarea(value=target["text"], placeholder="Target", continuous_update=True,
                                     layout=widgets.Layout(width="28em", height="3.5em"))
        self.owner = widgets.Text(value=target["owner"], placeholder="Owner", continuous_update=True,
                                  layout=widgets.Layout(width="10em"))
        review = date.fromisoformat(target["review_date"]) if target["review_date"] else None
        self.review = widgets.DatePicker(value=review, layout=widgets.Layout(width="11em"))
        self.status = widgets.Dropdown(options=[(TARGET_STATUS_LABELS[s], s) for s in TARGET_STATUSES],
                                       value=target["status"], layout=widgets.Layout(width="9em"))
        carried = (f"<br><i>carried from {_esc(form.year_of_cycle(target['carried_from']))}</i>"
                   if target.get("carried_from") else "")
        self.saved = widgets.HTML(f"<span class='wqm-saved'>{_esc(target['target_id'])}{carried}</span>")
        for control in (self.principle, self.text, self.owner, self.review, self.status):
            control.observe(lambda _: self._changed(), names="value")
        super().__init__([self.principle, self.text, self.owner, self.review, self.status, self.saved])
        self.add_class("wqm-target-row")

    def _changed(self) -> None:
        self.saved.value = "<span class='wqm-saved'>editing\u2026</span>"
        self.form.autosave.touch(("target", self.target_id), self.save)

    def save(self) -> None:
        review = self.review.value.isoformat() if self.review.value else ""
        done = self.form.write(lambda store: store.record_target(
            self.form.cycle_id(store), target_id=self.target_id, principle_id=self.principle.value,
            text_=self.text.value, owner=self.owner.value, review_date=review, status=self.status.value,
            recorded_by=self.form.who, framework=self.form.framework), f"target {self.target_id}")
        self.saved.value = ("<span class='wqm-error'>not saved</span>" if done is None else
                            f"<span class='wqm-saved'>saved {clock_time(self.form.last_saved)}</span>")


class TargetsPanel(widgets.VBox):
    """The cycle's targets, with an Add target button, and suggested targets for the weakest sections
    (:func:`wqm_nb.model.action_plan.suggest_targets`) with an Add button each that records the suggestion
    as an open target (:func:`~wqm_nb.model.action_plan.accept_suggested_targets`) and shows it as an
    editable row."""

    def __init__(self, form: "CycleForm"):
        self.form = form
        targets = form.read(lambda store: store.targets(form.cycle_id_known)
                            if form.cycle_id_known else []) or []
        self.rows = [TargetRow(form, t) for t in targets]
        self.add_button = widgets.Button(description="Add target", icon="plus")
        self.add_button.on_click(lambda _: self.add_target())
        self.list = widgets.VBox(self.rows)
        intro = widgets.HTML(
            "<p>Targets for this year, with an owner and a review date. Open and in-progress targets are "
            "carried into next year when it is started, so progress can be reviewed.</p>"
            "<p class='wqm-note'>Columns: section, target, owner, review date, status.</p>")
        self.suggested = self._suggested_box()
        super().__init__([intro, self.list, self.add_button, self.suggested])

    def _suggested_box(self) -> widgets.VBox:
        """The "Suggested targets" block: one line per suggestion with its reason and an Add button."""
        from ..model.action_plan import suggest_targets

        base = self.form.base
        self.suggestions = suggest_targets(self.form.framework, base, date.today()) if base is not None else ()
        self.suggestion_buttons: list[widgets.Button] = []
        lines = []
        for k, s in enumerate(self.suggestions):
            button = widgets.Button(description="Add", icon="plus", tooltip=f"Add this target for {s.principle_id}",
                                    layout=widgets.Layout(width="6em"))
            button.on_click(lambda _, k=k: self.add_suggestion(k))
            self.suggestion_buttons.append(button)
            lines.append(widgets.HBox([button, widgets.HTML(
                f"<b>{_esc(s.principle_id)} {_esc(s.principle)}</b>: {_esc(s.text)} <i>Review by "
                f"{_esc(s.review_date)}.</i><br><span class='wqm-note'>Why: {_esc(s.reason)}</span>")]))
        head = ("<h4>Suggested targets</h4><p class='wqm-note'>For the weakest sections without an open target "
                "(lowest self-evaluation and stakeholder agreement). Add one to edit it as a target.</p>"
                if lines else "")
        return widgets.VBox([widgets.HTML(head), *lines])

    def add_suggestion(self, index: int) -> TargetRow | None:
        """Record suggestion ``index`` as an open target and show it as an editable row."""
        from ..model.action_plan import accept_suggested_targets

        suggestion = self.suggestions[index]
        ids = self.form.write(lambda store: accept_suggested_targets(
            store, self.form.cycle_id(store), [suggestion], self.form.who, framework=self.form.framework),
            f"the suggested target for {suggestion.principle_id}")
        if ids is None:
            return None
        target = self.form.read(lambda store: store.target(self.form.cycle_id_known, ids[0]))
        row = TargetRow(self.form, target)
        self.rows.append(row)
        self.list.children = tuple(self.rows)
        button = self.suggestion_buttons[index]
        button.disabled, button.description, button.icon = True, "Added", "check"
        return row

    def add_target(self, principle_id: str = "") -> TargetRow | None:
        """Record a new open target and show its row."""
        target_id = self.form.write(lambda store: store.record_target(
            self.form.cycle_id(store), principle_id=principle_id, recorded_by=self.form.who,
            framework=self.form.framework), "a new target")
        if target_id is None:
            return None
        target = self.form.read(lambda store: store.target(self.form.cycle_id_known, target_id))
        row = TargetRow(self.form, target)
        self.rows.append(row)
        self.list.children = tuple(self.rows)
        return row


class AuditPanel(widgets.VBox):
    """The staff audit's INSET day tally: how many staff chose each rating for each section.

    Saved as a paper tally import (source ``form``) replacing the form's
    previous tally. When this year's audit came from an imported file the
    grid is shown read-only and says how to replace it.
    """

    def __init__(self, form: "CycleForm", bank, mapping):
        self.form = form
        survey = bank.surveys[STAFF_AUDIT]
        levels = bank.scale_of(STAFF_AUDIT).levels
        self.values = [lv.value for lv in levels]
        self.items = [i for i in survey.items if mapping.section_of(STAFF_AUDIT, i.id)]
        imports, counts = self._existing()
        other = [i for i in imports if i["source"] != "form"]
        self.locked = bool(other)
        self.cells: dict[tuple[str, int], widgets.IntText] = {}
        header = widgets.HBox([widgets.HTML("<b>Section</b>", layout=widgets.Layout(width="26em"))] +
                              [widgets.HTML(f"<b>{lv.value} {_esc(lv.label)}</b>", layout=widgets.Layout(width="9em"))
                               for lv in levels])
        rows = [header]
        for item in self.items:
            cells = []
            for value in self.values:
                cell = widgets.IntText(value=counts.get((item.id, value), 0), disabled=self.locked,
                                       layout=widgets.Layout(width="9em"),
                                       tooltip=f"{item.id}: staff who chose {value}")
                cell.observe(lambda _: self._changed(), names="value")
                self.cells[(item.id, value)] = cell
                cells.append(cell)
            rows.append(widgets.HBox([widgets.HTML(f"{_esc(item.id)} {_esc(item.text)}",
                                                   layout=widgets.Layout(width="26em"))] + cells))
        self.status = widgets.HTML()
        if self.locked:
            last = other[-1]
            self.status.value = (f"<p class='wqm-note'>This year's staff audit was imported from "
                                 f"{_esc(last['file_name'] or last['source'])} ({_esc(last['imported_at'])}). "
                                 f"To replace it use <code>wqm survey import FILE --survey {STAFF_AUDIT} --replace"
                                 f"</code>.</p>")
        intro = widgets.HTML(
            "<p>The staff audit (this tool's instrument, see docs/staff-audit.md): after the INSET day "
            "discussion, enter how many staff chose each stage for each framing principle. Groups smaller "
            "than the minimum group size are never shown in a report.</p>")
        super().__init__([intro, *rows, self.status])

    def _existing(self) -> tuple[list[dict], dict[tuple[str, int], int]]:
        def read(store: Store):
            year = store.school_year(self.form.school_id, self.form.year)
            imports = [i for i in store.survey_imports(year["school_year_id"], STAFF_AUDIT) if not i["replaced_by"]]
            return imports, store.form_tallies(year["school_year_id"], STAFF_AUDIT)
        return self.form.read(read) or ([], {})

    def _changed(self) -> None:
        self.status.value = "<span class='wqm-saved'>editing\u2026</span>"
        self.form.autosave.touch(("audit",), self.save)

    def save(self) -> None:
        if self.locked:
            return
        counts = {key: int(cell.value or 0) for key, cell in self.cells.items()}
        bad = [f"{item} {value}" for (item, value), n in counts.items() if n < 0]
        if bad:
            self.form.show_error(f"staff audit: counts cannot be negative ({', '.join(bad)})")
            return
        tallies = [("", item, value, n) for (item, value), n in counts.items() if n > 0]
        forms = max((sum(counts[(i.id, v)] for v in self.values) for i in self.items), default=0)

        def write(store: Store):
            year = store.school_year(self.form.school_id, self.form.year)
            return store.import_survey(year["school_year_id"], STAFF_AUDIT, source="form",
                                       item_ids=[i.id for i in self.items], tallies=tallies, forms=forms,
                                       imported_by=self.form.who, on_existing="replace",
                                       file_name="staff audit tally (capture form)")
        if self.form.write(write, "the staff audit tally") is not None:
            self.status.value = f"<span class='wqm-saved'>saved {clock_time(self.form.last_saved)}</span>"


# --------------------------------------------------------------------------
# one school year


AWARD_OUTCOME_LABELS = {"awarded": "Awarded", "not_awarded": "Not awarded", "deferred": "Deferred",
                        "withdrawn": "Withdrawn"}
NEW_DECISION = ("\u2014 a new decision \u2014", None)


class AwardDecisionPanel(widgets.VBox):
    """The Adviser tab's award decision: level, outcome, academic year, date, assessor and reasons, recorded
    with the Record button (a decision is a deliberate act, never autosaved), and the school's decision
    history. Only the consultant sees it: the form leaves it out for a school's signed link, and
    :meth:`record` refuses there too."""

    def __init__(self, form: "CycleForm"):
        self.form = form
        fw = form.framework
        self.level = widgets.Dropdown(options=[(lv.name, lv.id) for lv in fw.levels], description="Level",
                                      layout=widgets.Layout(width="22em"))
        self.outcome = widgets.Dropdown(options=[(label, code) for code, label in AWARD_OUTCOME_LABELS.items()],
                                        description="Outcome", layout=widgets.Layout(width="18em"))
        self.year = widgets.Text(value=form.year, description="Year", layout=widgets.Layout(width="14em"),
                                 tooltip="The academic year assessed")
        self.date = widgets.DatePicker(value=date.today(), description="Decided on",
                                       layout=widgets.Layout(width="18em"))
        self.assessor = widgets.Text(value=form.who, description="Assessor", layout=widgets.Layout(width="22em"))
        self.reasons = widgets.Textarea(placeholder="Reasons for the decision", layout=widgets.Layout(width="98%",
                                                                                                    height="4.5em"))
        self.corrects = widgets.Dropdown(description="Corrects", layout=widgets.Layout(width="30em"),
                                         tooltip="A correction supersedes the decision it corrects")
        self.button = widgets.Button(description="Record decision", icon="gavel", button_style="primary",
                                     tooltip="Record this award decision (it is kept; a mistake is corrected by "
                                             "a new decision that supersedes it)")
        self.status = widgets.HTML()
        self.history = widgets.HTML()
        self.button.on_click(lambda _: self.record())
        intro = widgets.HTML(
            f"<h4>Award decision</h4><p>Record the outcome of an assessment against {_esc(fw.name)}'s levels. "
            "It is written only when you press Record decision, and kept: to correct one, record a new decision "
            "that corrects it. The award rules read these decisions (a level held for some years).</p>")
        super().__init__([intro, widgets.HBox([self.level, self.outcome, self.year]),
                          widgets.HBox([self.date, self.assessor]), self.reasons, self.corrects,
                          widgets.HBox([self.button, self.status]), self.history],
                         layout=widgets.Layout(overflow="hidden"))
        self.add_class("wqm-award-decision")
        self.show_history()

    def decisions(self, history: bool = False) -> list[dict]:
        """The school's decisions for this framework (every one, corrected ones too, with ``history``)."""
        return self.form.read(lambda store: store.award_decisions(self.form.school_id, self.form.framework.id,
                                                                  history=history)) or []

    def _level_name(self, level_id: str) -> str:
        return next((lv.name for lv in self.form.framework.levels if lv.id == level_id), level_id)

    def show_history(self) -> None:
        """The decision history (corrected ones marked) and the choices of what a new decision corrects."""
        rows = self.decisions(history=True)
        corrected = {d["supersedes"]: d["decision_id"] for d in rows if d["supersedes"] is not None}
        body = "".join(
            f"<tr><td>{d['decision_id']}</td><td>{_esc(d['academic_year'])}</td>"
            f"<td>{_esc(self._level_name(d['level']))}</td>"
            f"<td>{_esc(AWARD_OUTCOME_LABELS.get(d['outcome'], d['outcome']))}</td><td>{_esc(d['decided_on'])}</td>"
            f"<td>{_esc(d['assessor'])}</td><td>{_esc(d['reasons'])}</td>"
            f"<td>{'corrects ' + str(d['supersedes']) if d['supersedes'] is not None else ''}"
            f"{'corrected by ' + str(corrected[d['decision_id']]) if d['decision_id'] in corrected else ''}</td></tr>"
            for d in rows)
        self.history.value = (
            "<table class='wqm-table wqm-history'><caption>Award decisions recorded</caption><thead><tr>"
            + "".join(f"<th scope='col'>{h}</th>" for h in ("Id", "Year", "Level", "Outcome", "Decided on",
                                                             "Assessor", "Reasons", "Correction"))
            + f"</tr></thead><tbody>{body or '<tr><td colspan=8>No award decision recorded yet.</td></tr>'}"
              "</tbody></table>")
        self.corrects.options = [NEW_DECISION] + [
            (f"{d['decision_id']}: {d['academic_year']} {self._level_name(d['level'])} "
             f"{AWARD_OUTCOME_LABELS.get(d['outcome'], d['outcome']).lower()}", d["decision_id"])
            for d in rows if d["decision_id"] not in corrected]
        self.corrects.value = None

    def record(self) -> int | None:
        """Record the decision on screen; returns its id (None when refused or not saved, said in the form)."""
        form = self.form
        if RECORD_AWARD not in form.app.scope.rights:
            form.show_error("Award decisions are recorded by the consultant, not through a school's link.")
            return None
        try:
            year = check_academic_year(self.year.value.strip())
        except WqmError as exc:
            form.show_error(f"the award decision was not recorded: {exc}")
            return None
        decision_id = form.write(lambda store: store.record_award_decision(
            form.school_id, form.framework.id, self.level.value, year, outcome=self.outcome.value,
            decided_on=self.date.value, assessor=self.assessor.value, reasons=self.reasons.value,
            recorded_by=form.who, supersedes=self.corrects.value), "the award decision")
        if decision_id is None:
            self.status.value = "<span class='wqm-error'>not recorded</span>"
            return None
        self.status.value = (f"<span class='wqm-saved' role='status'>recorded decision {decision_id} "
                             f"{clock_time(form.last_saved)}</span>")
        self.reasons.value = ""
        self.show_history()
        form.refresh_progress()
        return decision_id


class CycleForm(widgets.VBox):
    """The form for one school, year and framework (see the module notes)."""

    def __init__(self, app: "CaptureApp", school_id: str, year: str, framework: Framework):
        self.app, self.school_id, self.year, self.framework = app, school_id, year, framework
        self.autosave = app.autosave
        self.last_saved = ""
        self._cycle_id: int | None = None
        self.current: dict[str, dict] = {}
        self.bank = load_question_bank()
        self.mapping = load_mapping(framework, self.bank)
        started = None
        if self.read(lambda store: store.cycle(school_id, year, framework.id)) is None \
                and app.scope.may_write(START_YEAR, school_id, year, framework.id):
            started = self.write(lambda store: store.start_year(school_id, year, framework.id, recorded_by=app.who),
                                 "the year")
        self._cycle_id = self.read(lambda store: (store.cycle(school_id, year, framework.id) or {}).get("cycle_id"))
        self.current = self.read(lambda store: store.current_elements(self._cycle_id)) if self._cycle_id else {}
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
            intro = f"<h3>{_esc(framework.section_label)} {_esc(p.id)}: {_esc(p.name)}</h3>"
            if p.key_question:
                intro += f"<p><i>{_esc(p.key_question)}</i></p>"
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
            current = self.read(lambda store: store.reflections(cid).get(r.id)) or {}
            self.reflections[r.id] = TextField(
                self, ("reflection", r.id), f"{r.title} ({'school' if r.author == 'school' else 'adviser'})",
                current.get("text", ""), current.get("recorded_at", ""),
                lambda store, value, rid=r.id: store.record_reflection(self.cycle_id(store), rid, value,
                                                                       author=self.who, framework=self.framework),
                lambda store, rid=r.id: store.reflection_history(self.cycle_id_known, rid))
            adviser.append(self.reflections[r.id])
        # an award decision is the consultant's: never offered through a school's signed link
        self.awards = AwardDecisionPanel(self) if framework.has_levels and RECORD_AWARD in app.scope.rights \
            else None
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
            carried = (f"<p class='wqm-ok'>Started {_esc(year)}: {len(started['carried'])} open target(s) carried "
                       f"from {_esc(started['from_year'])}.</p>")
        #: whether this page may change this year (a link writes to its own year only; the store checks it)
        self.writable = app.scope.may_write(WRITE_SEF, school_id, year, framework.id)
        if not self.writable:
            carried += (f"<p class='wqm-note' role='note'>{_esc(year)} is shown read-only here: this link writes to "
                        f"{_esc(app.scope.year or 'its own year')} only.</p>")
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
            self._cycle_id = store.start_year(self.school_id, self.year, self.framework.id,
                                              recorded_by=self.who)["cycle_id"]
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
            results = tuple(year_result(store, y, self.framework, self.bank, self.mapping, app.min_group_size)
                            for y in years)
            return results[-1], results[:-1]
        return compute(self.app.store)      # an error (a release not published yet) stops the form, with its reason

    def compute_progress(self) -> CaptureProgress:
        decisions = self.read(lambda store: store.award_decisions(self.school_id, self.framework.id)) or []
        return capture_progress(self.framework, self.current, self.base, self.earlier, decisions)

    def refresh_progress(self) -> None:
        """Recompute completion and the next level's missing criteria from the current values."""
        progress = self.compute_progress()
        for s in progress.sections:
            self.section_progress[s.principle_id].value = f"<p class='wqm-progress'>{_esc(s.summary)}</p>"
        parts = [f"<p class='wqm-progress'><b>{progress.percent_complete}% complete</b>: {progress.complete} of "
                 f"{progress.elements} elements rated with evidence ({progress.rated} rated, "
                 f"{progress.with_evidence} with evidence).</p>"]
        if progress.has_levels:
            if progress.achieved:
                parts.append(f"<p>With these values the school meets <b>{_esc(progress.achieved.name)}</b>.</p>")
            if progress.next_level is None:
                parts.append("<p>Every award level is met.</p>")
            else:
                items = "".join(f"<li><b>{_esc(pid)}</b>: {_esc('; '.join(reasons))}</li>"
                                for pid, reasons in progress.missing.items())
                parts.append(f"<details open><summary>Still missing for <b>{_esc(progress.next_level.name)}</b>"
                             f"</summary><ul>{items}</ul></details>")
        else:
            todo = [f"{s.principle_id} ({s.elements - s.complete})" for s in progress.sections
                    if s.complete < s.elements]
            if todo:
                parts.append(f"<p>Still to complete (elements without a rating or evidence): "
                             f"{_esc(', '.join(todo))}.</p>")
        self.progress.value = "".join(parts)


# --------------------------------------------------------------------------
# the app


class CaptureApp(widgets.VBox):
    """The capture form: who is writing, which school and year, then the :class:`CycleForm`."""

    def __init__(self, school_id: str = "", year: str = "", data: str = "", framework: str = DEFAULT_FRAMEWORK,
                 scope: Scope | None = None, who: str = "", autosave_delay: float = AUTOSAVE_DELAY,
                 min_group_size: int = DEFAULT_MIN_GROUP_SIZE):
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
        self.store = Store.open(self.path).scoped(self.scope)    # every read and write checked against the scope
        self.status = widgets.HTML(layout=widgets.Layout(min_height="1.5em"))
        self.status.add_class("wqm-status")
        schools = self.store.schools()
        options = [(f"{s['name']} ({s['school_id']})", s["school_id"]) for s in schools]
        self.school = widgets.Dropdown(options=options, value=school_id if school_id in [o[1] for o in options]
                                       else (options[0][1] if options else None),
                                       description="School", disabled=self.school_fixed,
                                       layout=widgets.Layout(width="28em"))
        self.year = widgets.Dropdown(description="Year", layout=widgets.Layout(width="14em"))
        self.new_year = widgets.Text(placeholder="2026-27", layout=widgets.Layout(width="8em"))
        self.start_button = widgets.Button(description="Start new year", icon="calendar-plus-o",
                                           tooltip="Start the self-evaluation for a new academic year, carrying "
                                                   "open targets forward")
        self.name = widgets.Text(value=self.who, description="Your name", placeholder="e.g. Sam Patel (wellbeing lead)")
        self.name_button = widgets.Button(description="Start", button_style="primary")
        self.body = widgets.VBox()
        self.add_school_box = self._add_school_box() if ADD_SCHOOL in self.scope.rights else widgets.VBox()
        if START_YEAR not in self.scope.rights:     # a link bound to its year starts none
            self.new_year.layout.display = self.start_button.layout.display = "none"
        self._set_years(year)
        self.school.observe(lambda _: (self._set_years(), self._switch()), names="value")
        self.year.observe(lambda _: self._switch(), names="value")
        self.start_button.on_click(lambda _: self.start_year(self.new_year.value))
        self.name_button.on_click(lambda _: self.set_who(self.name.value))
        self.who_box = widgets.HBox([self.name, self.name_button])
        scale = "".join(f"<li><b>{lv.value} {_esc(lv.label)}</b>: {_esc(lv.descriptor)}</li>"
                        for lv in self.framework.scale.levels)
        sortings = "".join(f"<li>{_esc(label)}</li>" for label in SORTINGS.values())
        help_box = widgets.HTML(
            f"<details><summary>Rating scale and sorting</summary><p>{_esc(self.framework.scale.name)}:</p>"
            f"<ul>{scale}</ul><p>Sort each element as the NCB framing principles tool suggests:</p>"
            f"<ul>{sortings}</ul><p>Every change is saved as you go (no Save button) and kept in the "
            f"element's history.</p></details>")
        super().__init__([widgets.HTML(f"<h2>Self-evaluation: {_esc(self.framework.name)}</h2>"), self.who_box,
                          widgets.HBox([self.school, self.year, self.new_year, self.start_button]),
                          self.add_school_box, help_box, self.status, self.body])
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
        self.status.value = f"<span class='wqm-ok'>Changes are recorded as {_esc(self.who)}.</span>"
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
            self.body.children = (widgets.HTML("<p>This school has no academic year yet: type one (such as "
                                               f"{academic_year_of(datetime.now())}) and press Start new year.</p>"),)
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
        started = self.write(lambda store: store.start_year(self.school.value, year, self.framework.id,
                                                            recorded_by=self.who), "the new year")
        if started is None:
            return None
        self._set_years(year)
        self.status.value = (f"<span class='wqm-ok'>Started {_esc(year)}; {len(started['carried'])} open target(s) "
                             f"carried{' from ' + _esc(started['from_year']) if started['from_year'] else ''}."
                             "</span>")
        self._switch()
        return started

    def _add_school_box(self) -> widgets.Widget:
        self.new_id = widgets.Text(description="School id", placeholder="NLT09")
        self.new_name = widgets.Text(description="Name")
        self.new_phase = widgets.Dropdown(options=PHASES, description="Phase")
        self.new_trust = widgets.Text(description="Trust")
        button = widgets.Button(description="Add school", icon="plus")
        button.on_click(lambda _: self.add_school(self.new_id.value, self.new_name.value, self.new_phase.value,
                                                  self.new_trust.value))
        box = widgets.VBox([widgets.HBox([self.new_id, self.new_name]), widgets.HBox([self.new_phase,
                                                                                       self.new_trust]), button])
        return widgets.Accordion(children=[box], titles=["Add a school"], selected_index=None)

    def add_school(self, school_id: str, name: str, phase: str, trust: str = "") -> bool:
        """Add a school (consultant only: not through a school's signed link) and choose it."""
        if ADD_SCHOOL not in self.scope.rights:
            self.show_error("This link opens one school's form; ask the consultant to add a school.")
            return False
        if self.write(lambda store: store.add_school(school_id.strip(), name.strip(), phase, trust=trust.strip())
                      or True, "the school") is None:
            return False
        self.school.options = [*self.school.options, (f"{name.strip()} ({school_id.strip()})", school_id.strip())]
        self.school.value = school_id.strip()
        self.status.value = f"<span class='wqm-ok'>Added {_esc(name)} ({_esc(school_id)}).</span>"
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
        self.status.value = f"<p class='wqm-error' role='alert'>{_esc(message)}</p>"

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


def capture_app(*, school_id: str = "", year: str = "", framework: str = DEFAULT_FRAMEWORK, data: str = "",
                who: str = "") -> widgets.Widget:
    """The form for the notebook: the school (and year) from the signed link when served.

    Outside Voila the person defaults to ``$WQM_USER``; served, the form always asks.
    A CSV folder or any other problem opening the store is shown as a message, not a traceback.
    """
    from .report_app import in_voila

    scope = capture_scope(school_id=school_id, year=year, framework=framework)
    if not who and not in_voila():     # served, the form asks: the server's user is not the person typing
        who = os.environ.get("WQM_USER", "")
    try:
        return CaptureApp(scope.school_id, scope.year, data=data, framework=scope.framework,
                          scope=scope.scope, who=who)
    except WqmError as exc:
        return widgets.HTML(f"<p class='wqm-error' role='alert'>{_esc(exc)}</p>")


__all__ = ["AUTOSAVE_DELAY", "Autosave", "AwardDecisionPanel", "CaptureApp", "CaptureScope", "CycleForm", "ElementRow", "TargetRow",
           "TargetsPanel", "TextField", "capture_app", "capture_scope", "clock_time"]

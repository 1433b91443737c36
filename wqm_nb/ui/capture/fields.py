"""The capture form's fields: one element (rating, evidence, sorting, history) and a text field (a note,
a reflection), each saved through :class:`~wqm_nb.ui.capture.autosave.Autosave`."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ...data.frameworks import SORTINGS
from ...store import Store
from .autosave import clock_time

if TYPE_CHECKING:
    from .form import CycleForm


NO_RATING = ("\u2014 not rated \u2014", None)


NO_SORTING = ("\u2014 not sorted \u2014", "")


WIDE = widgets.Layout(width="100%")


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


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

    def __init__(self, form: CycleForm, principle_id: str, element_id: str, text: str):
        self.form, self.element_id, self.principle_id = form, element_id, principle_id
        scale = form.framework.scale
        state = form.current.get(element_id, {})
        self.saved = (state.get("rating"), state.get("evidence", ""), state.get("sorting", ""))
        tooltip = "\n".join(f"{lv.value} {lv.label}: {lv.descriptor}" for lv in scale.levels)
        self.rating = widgets.Dropdown(
            options=[NO_RATING] + [(f"{lv.value} \u2013 {lv.label}", lv.value) for lv in scale.levels],
            value=self.saved[0],
            description="Rating",
            tooltip=tooltip,
            layout=widgets.Layout(width="22em"),
        )
        self.sorting = widgets.Dropdown(
            options=[NO_SORTING] + [(label, code) for code, label in SORTINGS.items()],
            value=self.saved[2],
            description="Sorting",
            layout=widgets.Layout(width="26em"),
        )
        self.evidence = widgets.Textarea(
            value=self.saved[1],
            placeholder="Evidence: what shows this is happening?",
            continuous_update=True,
            layout=widgets.Layout(width="98%", height="4.5em"),
        )
        self.help = widgets.HTML()
        self.status = widgets.HTML(self._saved_text(state.get("recorded_at", ""), state.get("recorded_by", "")))
        self.history_button = widgets.Button(
            description="History",
            icon="clock-o",
            tooltip=f"Every saved change of {element_id}",
            layout=widgets.Layout(width="8em"),
        )
        self.history = widgets.HTML(layout=widgets.Layout(display="none"))
        for control in (self.rating, self.sorting, self.evidence):
            control.observe(self._changed, names="value")
        self.rating.observe(lambda _: self._show_help(), names="value")
        self.history_button.on_click(lambda _: self.toggle_history())
        self._show_help()
        super().__init__(
            [
                widgets.HTML(f"<div class='wqm-element'><b>{esc(element_id)}</b> {esc(text)}</div>"),
                widgets.HBox([self.rating, self.sorting, self.history_button, self.status]),
                self.help,
                self.evidence,
                self.history,
            ],
            layout=widgets.Layout(margin="0 0 1em 0", overflow="hidden"),
        )
        self.add_class("wqm-element-row")
        self.add_class(f"wqm-element-{element_id.replace('.', '-')}")

    @property
    def values(self) -> tuple[int | None, str, str]:
        return (self.rating.value, self.evidence.value.strip(), self.sorting.value)

    def _saved_text(self, stamp: str, who: str) -> str:
        if not stamp:
            return "<span class='wqm-saved'>not saved yet</span>"
        by = f" by {esc(who)}" if who else ""
        return f"<span class='wqm-saved'>saved {clock_time(stamp)}{by}</span>"

    def _show_help(self) -> None:
        level = next((lv for lv in self.form.framework.scale.levels if lv.value == self.rating.value), None)
        self.help.value = f"<div class='wqm-help'>{esc(level.label)}: {esc(level.descriptor)}</div>" if level else ""

    def _changed(self, _change) -> None:
        self.status.value = "<span class='wqm-saved'>editing\u2026</span>"
        self.form.autosave.touch(("element", self.element_id), self.save)

    def save(self) -> None:
        """Append the element's state to its history, unless it is what was saved last."""
        values = self.values
        if values == (self.saved[0], self.saved[1].strip(), self.saved[2]):
            self.status.value = self._saved_text(self.form.current.get(self.element_id, {}).get("recorded_at", ""), "")
            return
        rating, evidence, sorting = values
        entry = self.form.write(
            lambda store: store.record_rating(
                self.form.cycle_id(store),
                self.element_id,
                rating,
                evidence,
                recorded_by=self.form.who,
                framework=self.form.framework,
                sorting=sorting,
                source="form",
            ),
            f"element {self.element_id}",
        )
        if entry is None:
            self.status.value = "<span class='wqm-error'>not saved</span>"
            return
        stamp = self.form.last_saved
        self.saved = values
        self.form.current[self.element_id] = dict(
            rating=rating, evidence=evidence, sorting=sorting, recorded_at=stamp, recorded_by=self.form.who
        )
        self.status.value = self._saved_text(stamp, self.form.who)
        self.form.refresh_progress()
        self.refresh_history()

    def show_history(self) -> None:
        """Every saved change of the element, newest first."""
        rows = self.form.read(
            lambda store: (
                store.element_history(self.form.cycle_id_known, self.element_id) if self.form.cycle_id_known else []
            )
        )
        body = "".join(
            f"<tr><td>{esc(r['recorded_at'])}</td><td>{esc(r['recorded_by'])}</td>"
            f"<td>{esc(self.form.rating_label(r['rating']))}</td><td>{esc(SORTINGS.get(r['sorting'], ''))}</td>"
            f"<td>{esc(r['evidence'])}</td><td>{esc(r['source'])}</td></tr>"
            for r in reversed(rows or [])
        )
        self.history.value = (
            f"<table class='wqm-table wqm-history'><caption>History of {esc(self.element_id)}</caption>"
            "<thead><tr><th scope='col'>Saved</th><th scope='col'>By</th><th scope='col'>Rating</th>"
            "<th scope='col'>Sorting</th><th scope='col'>Evidence</th><th scope='col'>From</th></tr></thead>"
            f"<tbody>{body or '<tr><td colspan=6>No changes saved yet.</td></tr>'}</tbody></table>"
        )
        self.history.layout.display = None


class TextField(HistoryView, widgets.VBox):
    """A free-text field saved as a new version after each edit, with its history."""

    def __init__(
        self,
        form: CycleForm,
        key: Any,
        title: str,
        value: str,
        stamp: str,
        save: Callable[[Store, str], Any],
        history: Callable[[Store], list[dict]],
        placeholder: str = "",
    ):
        self.form, self.key, self._save, self._history = form, key, save, history
        self.saved_value = value
        self.text = widgets.Textarea(
            value=value,
            placeholder=placeholder,
            continuous_update=True,
            layout=widgets.Layout(width="98%", height="6em"),
        )
        self.status = widgets.HTML(f"<span class='wqm-saved'>saved {clock_time(stamp)}</span>" if stamp else "")
        self.history_button = widgets.Button(description="History", icon="clock-o", layout=widgets.Layout(width="8em"))
        self.history = widgets.HTML(layout=widgets.Layout(display="none"))
        self.text.observe(lambda _: self._changed(), names="value")
        self.history_button.on_click(lambda _: self.toggle_history())
        super().__init__(
            [
                widgets.HTML(f"<h4>{esc(title)}</h4>"),
                self.text,
                widgets.HBox([self.history_button, self.status]),
                self.history,
            ],
            layout=widgets.Layout(overflow="hidden"),
        )

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
        body = "".join(
            f"<tr><td>{esc(r.get('recorded_at') or r.get('created_at'))}</td>"
            f"<td>{esc(r.get('author', ''))}</td>"
            f"<td>{esc((r.get('text') if 'text' in r else r.get('note')) or '(withdrawn)')}</td></tr>"
            for r in reversed(rows)
        )
        self.history.value = (
            "<table class='wqm-table wqm-history'><thead><tr><th scope='col'>Saved</th>"
            "<th scope='col'>By</th><th scope='col'>Text</th></tr></thead>"
            f"<tbody>{body or '<tr><td colspan=3>No changes saved yet.</td></tr>'}</tbody></table>"
        )
        self.history.layout.display = None


def note_field(form: CycleForm, principle_id: str, title: str) -> TextField:
    """The adviser's note for one section ('' for the whole school): editing it replaces the latest note."""
    notes = (
        form.read(lambda store: store.current_notes(form.cycle_id_known, principle_id) if form.cycle_id_known else [])
        or []
    )
    latest = notes[-1] if notes else None
    state = {"note_id": latest["note_id"] if latest else None}

    def save(store: Store, value: str) -> int | None:
        if not value and state["note_id"] is None:
            return 0
        note_id = store.add_note(
            form.cycle_id(store),
            value,
            author=form.who,
            principle_id=principle_id,
            framework=form.framework,
            supersedes=state["note_id"],
        )
        state["note_id"] = note_id if value else None
        return note_id

    field = TextField(
        form,
        ("note", principle_id),
        title,
        latest["note"] if latest else "",
        latest["created_at"] if latest else "",
        save,
        lambda store: store.note_history(form.cycle_id_known, principle_id) if form.cycle_id_known else [],
        placeholder="Adviser's note",
    )
    if len(notes) > 1:
        earlier = "".join(
            f"<li>{esc(n['note'])} <i>({esc(n['author'])}, {esc(n['created_at'][:10])})</i></li>" for n in notes[:-1]
        )
        field.children = (
            field.children[0],
            widgets.HTML(f"<p>Earlier notes:</p><ul>{earlier}</ul>"),
            *field.children[1:],
        )
    return field

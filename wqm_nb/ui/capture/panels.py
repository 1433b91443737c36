"""The capture form's panels beside the sections: targets, the staff audit tally and the award decision."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import ipywidgets as widgets

from ...errors import WqmError
from ...settings import check_academic_year
from ...store import Store
from ...store.schema import TARGET_STATUSES
from ...store.scope import RECORD_AWARD
from .autosave import clock_time
from .fields import esc

if TYPE_CHECKING:
    from .form import CycleForm


STAFF_AUDIT = "staff_audit"


TARGET_STATUS_LABELS = {"open": "Open", "in_progress": "In progress", "achieved": "Achieved", "dropped": "Dropped"}


class TargetRow(widgets.HBox):
    """One target: section, text, owner, review date, status; each change saved as a new entry."""

    def __init__(self, form: CycleForm, target: dict):
        self.form, self.target_id = form, target["target_id"]
        sections = [("Whole school", "")] + [(f"{p.id} {p.name}"[:60], p.id) for p in form.framework.principles]
        self.principle = widgets.Dropdown(
            options=sections, value=target["principle_id"], layout=widgets.Layout(width="16em")
        )
        self.text = widgets.Textarea(
            value=target["text"],
            placeholder="Target",
            continuous_update=True,
            layout=widgets.Layout(width="28em", height="3.5em"),
        )
        self.owner = widgets.Text(
            value=target["owner"], placeholder="Owner", continuous_update=True, layout=widgets.Layout(width="10em")
        )
        review = date.fromisoformat(target["review_date"]) if target["review_date"] else None
        self.review = widgets.DatePicker(value=review, layout=widgets.Layout(width="11em"))
        self.status = widgets.Dropdown(
            options=[(TARGET_STATUS_LABELS[s], s) for s in TARGET_STATUSES],
            value=target["status"],
            layout=widgets.Layout(width="9em"),
        )
        carried = (
            f"<br><i>carried from {esc(form.year_of_cycle(target['carried_from']))}</i>"
            if target.get("carried_from")
            else ""
        )
        self.saved = widgets.HTML(f"<span class='wqm-saved'>{esc(target['target_id'])}{carried}</span>")
        for control in (self.principle, self.text, self.owner, self.review, self.status):
            control.observe(lambda _: self._changed(), names="value")
        super().__init__([self.principle, self.text, self.owner, self.review, self.status, self.saved])
        self.add_class("wqm-target-row")

    def _changed(self) -> None:
        self.saved.value = "<span class='wqm-saved'>editing\u2026</span>"
        self.form.autosave.touch(("target", self.target_id), self.save)

    def save(self) -> None:
        review = self.review.value.isoformat() if self.review.value else ""
        done = self.form.write(
            lambda store: store.record_target(
                self.form.cycle_id(store),
                target_id=self.target_id,
                principle_id=self.principle.value,
                text_=self.text.value,
                owner=self.owner.value,
                review_date=review,
                status=self.status.value,
                recorded_by=self.form.who,
                framework=self.form.framework,
            ),
            f"target {self.target_id}",
        )
        self.saved.value = (
            "<span class='wqm-error'>not saved</span>"
            if done is None
            else f"<span class='wqm-saved'>saved {clock_time(self.form.last_saved)}</span>"
        )


class TargetsPanel(widgets.VBox):
    """The cycle's targets, with an Add target button, and suggested targets for the weakest sections
    (:func:`wqm_nb.model.action_plan.suggest_targets`) with an Add button each that records the suggestion
    as an open target (:func:`~wqm_nb.model.action_plan.accept_suggested_targets`) and shows it as an
    editable row."""

    def __init__(self, form: CycleForm):
        self.form = form
        targets = form.read(lambda store: store.targets(form.cycle_id_known) if form.cycle_id_known else []) or []
        self.rows = [TargetRow(form, t) for t in targets]
        self.add_button = widgets.Button(description="Add target", icon="plus")
        self.add_button.on_click(lambda _: self.add_target())
        self.list = widgets.VBox(self.rows)
        intro = widgets.HTML(
            "<p>Targets for this year, with an owner and a review date. Open and in-progress targets are "
            "carried into next year when it is started, so progress can be reviewed.</p>"
            "<p class='wqm-note'>Columns: section, target, owner, review date, status.</p>"
        )
        self.suggested = self._suggested_box()
        super().__init__([intro, self.list, self.add_button, self.suggested])

    def _suggested_box(self) -> widgets.VBox:
        """The "Suggested targets" block: one line per suggestion with its reason and an Add button."""
        from ...model.action_plan import suggest_targets

        base = self.form.base
        self.suggestions = suggest_targets(self.form.framework, base, date.today()) if base is not None else ()
        self.suggestion_buttons: list[widgets.Button] = []
        lines = []
        for k, s in enumerate(self.suggestions):
            button = widgets.Button(
                description="Add",
                icon="plus",
                tooltip=f"Add this target for {s.principle_id}",
                layout=widgets.Layout(width="6em"),
            )
            button.on_click(lambda _, k=k: self.add_suggestion(k))
            self.suggestion_buttons.append(button)
            lines.append(
                widgets.HBox(
                    [
                        button,
                        widgets.HTML(
                            f"<b>{esc(s.principle_id)} {esc(s.principle)}</b>: {esc(s.text)} <i>Review by "
                            f"{esc(s.review_date)}.</i><br><span class='wqm-note'>Why: {esc(s.reason)}</span>"
                        ),
                    ]
                )
            )
        head = (
            "<h4>Suggested targets</h4><p class='wqm-note'>For the weakest sections without an open target "
            "(lowest self-evaluation and stakeholder agreement). Add one to edit it as a target.</p>"
            if lines
            else ""
        )
        return widgets.VBox([widgets.HTML(head), *lines])

    def add_suggestion(self, index: int) -> TargetRow | None:
        """Record suggestion ``index`` as an open target and show it as an editable row."""
        from ...model.action_plan import accept_suggested_targets

        suggestion = self.suggestions[index]
        ids = self.form.write(
            lambda store: accept_suggested_targets(
                store, self.form.cycle_id(store), [suggestion], self.form.who, framework=self.form.framework
            ),
            f"the suggested target for {suggestion.principle_id}",
        )
        if ids is None:
            return None
        cycle_id = self.form.cycle_id_known
        assert cycle_id is not None  # the write above started the year if it had not been
        target = self.form.read(lambda store: store.target(cycle_id, ids[0]))
        row = TargetRow(self.form, target)
        self.rows.append(row)
        self.list.children = tuple(self.rows)
        button = self.suggestion_buttons[index]
        button.disabled, button.description, button.icon = True, "Added", "check"
        return row

    def add_target(self, principle_id: str = "") -> TargetRow | None:
        """Record a new open target and show its row."""
        target_id = self.form.write(
            lambda store: store.record_target(
                self.form.cycle_id(store),
                principle_id=principle_id,
                recorded_by=self.form.who,
                framework=self.form.framework,
            ),
            "a new target",
        )
        if target_id is None:
            return None
        cycle_id = self.form.cycle_id_known
        assert cycle_id is not None  # the write above started the year if it had not been
        target = self.form.read(lambda store: store.target(cycle_id, target_id))
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

    def __init__(self, form: CycleForm, bank, mapping):
        self.form = form
        survey = bank.surveys[STAFF_AUDIT]
        levels = bank.scale_of(STAFF_AUDIT).levels
        self.values = [lv.value for lv in levels]
        self.items = [i for i in survey.items if mapping.section_of(STAFF_AUDIT, i.id)]
        imports, counts = self._existing()
        other = [i for i in imports if i["source"] != "form"]
        self.locked = bool(other)
        self.cells: dict[tuple[str, int], widgets.IntText] = {}
        header = widgets.HBox(
            [widgets.HTML("<b>Section</b>", layout=widgets.Layout(width="26em"))]
            + [widgets.HTML(f"<b>{lv.value} {esc(lv.label)}</b>", layout=widgets.Layout(width="9em")) for lv in levels]
        )
        rows = [header]
        for item in self.items:
            cells = []
            for value in self.values:
                cell = widgets.IntText(
                    value=counts.get((item.id, value), 0),
                    disabled=self.locked,
                    layout=widgets.Layout(width="9em"),
                    tooltip=f"{item.id}: staff who chose {value}",
                )
                cell.observe(lambda _: self._changed(), names="value")
                self.cells[(item.id, value)] = cell
                cells.append(cell)
            rows.append(
                widgets.HBox(
                    [widgets.HTML(f"{esc(item.id)} {esc(item.text)}", layout=widgets.Layout(width="26em"))] + cells
                )
            )
        self.status = widgets.HTML()
        if self.locked:
            last = other[-1]
            self.status.value = (
                f"<p class='wqm-note'>This year's staff audit was imported from "
                f"{esc(last['file_name'] or last['source'])} ({esc(last['imported_at'])}). "
                f"To replace it use <code>wqm survey import FILE --survey {STAFF_AUDIT} --replace"
                f"</code>.</p>"
            )
        intro = widgets.HTML(
            "<p>The staff audit (this tool's instrument, see docs/staff-audit.md): after the INSET day "
            "discussion, enter how many staff chose each stage for each framing principle. Groups smaller "
            "than the minimum group size are never shown in a report.</p>"
        )
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
            return store.import_survey(
                year["school_year_id"],
                STAFF_AUDIT,
                source="form",
                item_ids=[i.id for i in self.items],
                tallies=tallies,
                forms=forms,
                imported_by=self.form.who,
                on_existing="replace",
                file_name="staff audit tally (capture form)",
            )

        if self.form.write(write, "the staff audit tally") is not None:
            self.status.value = f"<span class='wqm-saved'>saved {clock_time(self.form.last_saved)}</span>"


AWARD_OUTCOME_LABELS = {
    "awarded": "Awarded",
    "not_awarded": "Not awarded",
    "deferred": "Deferred",
    "withdrawn": "Withdrawn",
}


NEW_DECISION = ("\u2014 a new decision \u2014", None)


class AwardDecisionPanel(widgets.VBox):
    """The Adviser tab's award decision: level, outcome, academic year, date, assessor and reasons, recorded
    with the Record button (a decision is a deliberate act, never autosaved), and the school's decision
    history. Only the consultant sees it: the form leaves it out for a school's signed link, and
    :meth:`record` refuses there too."""

    def __init__(self, form: CycleForm):
        self.form = form
        fw = form.framework
        self.level = widgets.Dropdown(
            options=[(lv.name, lv.id) for lv in fw.levels], description="Level", layout=widgets.Layout(width="22em")
        )
        self.outcome = widgets.Dropdown(
            options=[(label, code) for code, label in AWARD_OUTCOME_LABELS.items()],
            description="Outcome",
            layout=widgets.Layout(width="18em"),
        )
        self.year = widgets.Text(
            value=form.year,
            description="Year",
            layout=widgets.Layout(width="14em"),
            tooltip="The academic year assessed",
        )
        self.date = widgets.DatePicker(
            value=date.today(), description="Decided on", layout=widgets.Layout(width="18em")
        )
        self.assessor = widgets.Text(value=form.who, description="Assessor", layout=widgets.Layout(width="22em"))
        self.reasons = widgets.Textarea(
            placeholder="Reasons for the decision", layout=widgets.Layout(width="98%", height="4.5em")
        )
        self.corrects = widgets.Dropdown(
            description="Corrects",
            layout=widgets.Layout(width="30em"),
            tooltip="A correction supersedes the decision it corrects",
        )
        self.button = widgets.Button(
            description="Record decision",
            icon="gavel",
            button_style="primary",
            tooltip="Record this award decision (it is kept; a mistake is corrected by "
            "a new decision that supersedes it)",
        )
        self.status = widgets.HTML()
        self.history = widgets.HTML()
        self.button.on_click(lambda _: self.record())
        intro = widgets.HTML(
            f"<h4>Award decision</h4><p>Record the outcome of an assessment against {esc(fw.name)}'s levels. "
            "It is written only when you press Record decision, and kept: to correct one, record a new decision "
            "that corrects it. The award rules read these decisions (a level held for some years).</p>"
        )
        super().__init__(
            [
                intro,
                widgets.HBox([self.level, self.outcome, self.year]),
                widgets.HBox([self.date, self.assessor]),
                self.reasons,
                self.corrects,
                widgets.HBox([self.button, self.status]),
                self.history,
            ],
            layout=widgets.Layout(overflow="hidden"),
        )
        self.add_class("wqm-award-decision")
        self.show_history()

    def decisions(self, history: bool = False) -> list[dict]:
        """The school's decisions for this framework (every one, corrected ones too, with ``history``)."""
        return (
            self.form.read(
                lambda store: store.award_decisions(self.form.school_id, self.form.framework.id, history=history)
            )
            or []
        )

    def _level_name(self, level_id: str) -> str:
        return next((lv.name for lv in self.form.framework.levels if lv.id == level_id), level_id)

    def show_history(self) -> None:
        """The decision history (corrected ones marked) and the choices of what a new decision corrects."""
        rows = self.decisions(history=True)
        corrected = {d["supersedes"]: d["decision_id"] for d in rows if d["supersedes"] is not None}
        body = "".join(
            f"<tr><td>{d['decision_id']}</td><td>{esc(d['academic_year'])}</td>"
            f"<td>{esc(self._level_name(d['level']))}</td>"
            f"<td>{esc(AWARD_OUTCOME_LABELS.get(d['outcome'], d['outcome']))}</td><td>{esc(d['decided_on'])}</td>"
            f"<td>{esc(d['assessor'])}</td><td>{esc(d['reasons'])}</td>"
            f"<td>{'corrects ' + str(d['supersedes']) if d['supersedes'] is not None else ''}"
            f"{'corrected by ' + str(corrected[d['decision_id']]) if d['decision_id'] in corrected else ''}</td></tr>"
            for d in rows
        )
        self.history.value = (
            "<table class='wqm-table wqm-history'><caption>Award decisions recorded</caption><thead><tr>"
            + "".join(
                f"<th scope='col'>{h}</th>"
                for h in ("Id", "Year", "Level", "Outcome", "Decided on", "Assessor", "Reasons", "Correction")
            )
            + f"</tr></thead><tbody>{body or '<tr><td colspan=8>No award decision recorded yet.</td></tr>'}"
            "</tbody></table>"
        )
        self.corrects.options = [NEW_DECISION] + [
            (
                f"{d['decision_id']}: {d['academic_year']} {self._level_name(d['level'])} "
                f"{AWARD_OUTCOME_LABELS.get(d['outcome'], d['outcome']).lower()}",
                d["decision_id"],
            )
            for d in rows
            if d["decision_id"] not in corrected
        ]
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
        decision_id = form.write(
            lambda store: store.record_award_decision(
                form.school_id,
                form.framework.id,
                self.level.value,
                year,
                outcome=self.outcome.value,
                decided_on=self.date.value,
                assessor=self.assessor.value,
                reasons=self.reasons.value,
                recorded_by=form.who,
                supersedes=self.corrects.value,
            ),
            "the award decision",
        )
        if decision_id is None:
            self.status.value = "<span class='wqm-error'>not recorded</span>"
            return None
        self.status.value = (
            f"<span class='wqm-saved' role='status'>recorded decision {decision_id} "
            f"{clock_time(form.last_saved)}</span>"
        )
        self.reasons.value = ""
        self.show_history()
        form.refresh_progress()
        return decision_id

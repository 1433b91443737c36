"""The survey import form: upload an export, check and correct the mapping, import.

:class:`SurveyImportApp` is what ``notebooks/survey_import.ipynb`` shows, in
JupyterLab and in Voila (``wqm survey serve``). It writes through the same
code as ``wqm survey import`` (:mod:`wqm_nb.intake.plan`):

1. a FileUpload (one ``.xlsx``, ``.csv`` or ``.tsv`` file, at most
   :data:`UPLOAD_LIMIT_MB` MB: the browser sends the file in one websocket
   message and Voila's server refuses larger ones; bigger files go through
   the CLI), the survey and the academic year;
2. what was detected, and every column of the file with its header as the
   user sees it and a dropdown the matcher has filled (an item, the subgroup,
   a comment, an item of a validated measure, or ignore; a column of personal
   data can only be ignored), with a button that ignores every column left
   unmatched; every answer label that is not on the scale, each with a
   dropdown onto the scale; and per block of item columns whose answers are
   numbers, a box to read them the other way (1 = the top of the scale).
   Every change is checked again at once. A mapping saved for the form (the
   same questions) is used and named, and can be declined; "Save mapping for
   this form" saves the corrections for the next export (the consultant's for
   the school's trust, a school's import link for that school only);
3. a preview: respondents kept and dropped, subgroups, respondents per
   section of the framework, as a release of the file alone would publish
   them (a subgroup or section below the store's threshold shows its reason,
   not its count: a link holder may see the form);
4. an Import button (with "replace the earlier import" / "add to it" when the
   survey already has data) that writes in one transaction, and a Save
   mapping button that offers the mapping as YAML.

Errors (a bad file, an unknown label with its row and column) are shown in
the form, never only in a log. In Voila, the school comes from the signed
link (one school only); the consultant's token may choose any school.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass

import ipywidgets as widgets

from ..data import load_framework, load_question_bank
from ..data.import_mapping import instrument_item_ids
from ..errors import WqmError
from ..intake.matching import COMMENT_TARGET, INSTRUMENT, ITEM, SUBGROUP, UNMATCHED
from ..intake.plan import ImportPlan, Inspection, commit_import, inspect_export, plan_import
from ..intake.saved_mappings import SavedMapping, find_saved_mapping, remember_mapping
from ..intake.shapes import PERSONAL, shown_header
from ..settings import DEFAULT_FRAMEWORK, data_location
from ..store import Scope, Store
from ..store.scope import scope_from_query

#: Largest upload the form accepts (MB): tornado's default websocket message limit is 10 MiB.
UPLOAD_LIMIT_MB = 10
IGNORE_CHOICE = ("ignore (drop this column)", "ignore")
NOT_ANSWERED_CHOICE = ("not answered", -1)


@dataclass(frozen=True)
class ImportScope:
    """Which school and year the form opens on, and the page's scope (what it may read and write)."""

    school_id: str
    year: str
    scope: Scope = Scope.consultant("survey-import")

    @property
    def fixed(self) -> bool:
        """Whether the viewer is held to one school and year (a link)."""
        return not self.scope.is_consultant


def import_scope(*, school_id: str, year: str) -> ImportScope:
    """The school, year and scope from the page's URL in Voila (a signed link fixes them), else the
    parameters with the consultant's scope."""
    from .report_app import in_voila, page_query

    if not in_voila():
        return ImportScope(school_id, year)
    query = page_query()
    scope = scope_from_query(query, "survey-import", query.get("year", "") or year)
    if not scope.is_consultant:  # verified by the server: one school, one year
        return ImportScope(query.get("school", ""), scope.year, scope)
    return ImportScope(query.get("school") or school_id, query.get("year") or year, scope)


class SurveyImportApp(widgets.VBox):
    """The import form (see the module notes)."""

    def __init__(
        self,
        school_id: str,
        year: str,
        data: str = "",
        survey: str = "staff",
        framework: str = DEFAULT_FRAMEWORK,
        scope: Scope | None = None,
        imported_by: str = "",
    ):
        self.data = str(data_location(data))
        self.bank = load_question_bank()
        self.framework = load_framework(framework)
        self.imported_by = imported_by
        self.inspection: Inspection | None = None
        self.plan: ImportPlan | None = None
        self.saved: SavedMapping | None = None
        self._file: tuple[bytes, str] | None = None
        self.scope = scope or Scope.consultant("survey-import")
        with Store.open(self.data, read_only=True) as store:
            #: the store's publication threshold: the preview shows what a release of the file would
            self.threshold = store.threshold
            scoped = store.scoped(self.scope)
            schools = scoped.schools()  # a link's holder is sent its own school only
            self.years = {
                s["school_id"]: [y["academic_year"] for y in scoped.school_years(s["school_id"])] for s in schools
            }
        options = [(f"{s['name']} ({s['school_id']})", s["school_id"]) for s in schools]
        fixed = not self.scope.is_consultant
        self.school = widgets.Dropdown(
            options=options,
            value=school_id or (options[0][1] if options else None),
            description="School",
            disabled=fixed,
        )
        if fixed:  # a link imports into its own year and no other (the store checks it too)
            self.year = widgets.Dropdown(
                options=[self.scope.year], value=self.scope.year, description="Year", disabled=True
            )
        else:  # the consultant picks a year of the school, or types a new one
            self.year = widgets.Combobox(
                value=year,
                options=list(reversed(self.years.get(self.school.value, []))),
                description="Year",
                placeholder="2025-26",
                ensure_option=False,
            )
            self.school.observe(
                lambda change: setattr(self.year, "options", list(reversed(self.years.get(change["new"], [])))),
                names="value",
            )
        self.survey = widgets.Dropdown(
            options=[(s.name, sid) for sid, s in self.bank.surveys.items()], value=survey, description="Survey"
        )
        self.upload = widgets.FileUpload(accept=".xlsx,.csv,.tsv,.txt", multiple=False, description="Choose export")
        self.keep_comments = widgets.Checkbox(
            value=False, description="Keep comments (redacted, for me only)", indent=False
        )
        self.on_existing = widgets.ToggleButtons(
            options=[("Stop if data exists", "refuse"), ("Replace earlier import", "replace"), ("Add to it", "add")],
            value="refuse",
            description="If data exists",
        )
        self.detected = widgets.HTML()
        self.mapping_box = widgets.VBox()
        self.preview = widgets.HTML()
        self.status = widgets.HTML()
        self.import_button = widgets.Button(description="Import", button_style="primary", disabled=True)
        self.mapping_text = widgets.Textarea(layout=widgets.Layout(width="100%", height="12em", display="none"))
        self.save_button = widgets.Button(description="Show mapping YAML", disabled=True)
        self.remember_button = widgets.Button(
            description="Save mapping for this form", disabled=True, layout=widgets.Layout(width="auto")
        )
        self.use_saved = widgets.Checkbox(
            value=True,
            description="Use the mapping saved for this form",
            indent=False,
            layout=widgets.Layout(display="none"),
        )
        self.ignore_button = widgets.Button(
            description="Ignore every unmatched column", layout=widgets.Layout(display="none", width="auto")
        )
        self.labels_box = widgets.VBox()
        self.blocks_box = widgets.VBox()
        limit = widgets.HTML(
            f"<p class='wqm-note'>Upload one Microsoft Forms, Google Forms or SurveyMonkey "
            f"export, a CSV/XLSX, or a paper tally, up to {UPLOAD_LIMIT_MB} MB. For a larger file "
            f"use <code>wqm survey import FILE --school ... --year ... --survey ...</code>.</p>"
        )
        self.upload.observe(self._uploaded, names="value")
        for control in (self.survey, self.keep_comments):
            control.observe(lambda _: self.refresh(), names="value")
        self.import_button.on_click(lambda _: self.run_import())
        self.save_button.on_click(lambda _: self.show_mapping())
        self.remember_button.on_click(lambda _: self.remember())
        self.ignore_button.on_click(lambda _: self.ignore_unmatched())
        self.use_saved.observe(lambda _: self._reinspect(), names="value")
        super().__init__(
            [
                widgets.HTML("<h2>Import a survey export</h2>"),
                limit,
                widgets.HBox([self.school, self.year]),
                widgets.HBox([self.survey, self.upload]),
                self.keep_comments,
                self.detected,
                self.use_saved,
                self.mapping_box,
                self.ignore_button,
                self.labels_box,
                self.blocks_box,
                self.preview,
                self.on_existing,
                widgets.HBox([self.import_button, self.remember_button, self.save_button]),
                self.mapping_text,
                self.status,
            ]
        )

    # -- steps ---------------------------------------------------------------

    def _uploaded(self, change) -> None:
        files = change["new"]
        if not files:
            return
        f = files[0]
        content = bytes(f["content"])
        if len(content) > UPLOAD_LIMIT_MB * 2**20:
            self._error(f"{f['name']} is larger than {UPLOAD_LIMIT_MB} MB: import it with wqm survey import")
            return
        self.load_file(content, f["name"])

    def load_file(self, content: bytes, name: str) -> None:
        """Take an export's bytes (what the upload does) and inspect it."""
        self._file = (content, name)
        self.inspection = None
        self.refresh()

    def _reinspect(self) -> None:
        self.inspection = None
        self.refresh()

    def _inspect(self) -> Inspection:
        """The file inspected for the survey chosen, through the mapping saved for its form unless declined."""
        assert self._file is not None
        inspection = inspect_export(*self._file, self.survey.value, bank=self.bank)
        self.saved = None
        with Store.open(self.data, read_only=True) as store:
            saved = find_saved_mapping(store.scoped(self.scope), self.school.value, inspection)
        self.use_saved.layout.display = "none" if saved is None else None
        if saved is not None:
            self.use_saved.description = f"Use {saved.described}"
            if self.use_saved.value:
                self.saved = saved
                return inspection.through(saved.mapping)
        return inspection

    def refresh(self, targets: dict[int, str] | None = None, change=None) -> None:
        """Inspect (or re-match with corrected targets, or apply ``change`` to the inspection) and plan; show
        the result or the error."""
        self.plan = None
        self.import_button.disabled = self.save_button.disabled = self.remember_button.disabled = True
        self.status.value = ""
        if self._file is None:
            return
        try:
            if self.inspection is None or self.inspection.survey != self.survey.value:
                self.inspection = self._inspect()
            if targets:
                self.inspection = self.inspection.with_targets(targets)
            if change is not None:
                self.inspection = change(self.inspection)
        except WqmError as exc:
            self.inspection = None
            self.detected.value = self.preview.value = ""
            self.mapping_box.children = ()
            self._error(str(exc))
            return
        self._show_inspection()
        self.save_button.disabled = self.remember_button.disabled = False
        try:
            self.plan = plan_import(self.inspection, keep_comments=self.keep_comments.value)
        except WqmError as exc:
            self.preview.value = ""
            self._error(str(exc))
            return
        self._show_plan()
        self.import_button.disabled = False

    def set_target(self, column_index: int, target: str) -> None:
        """Correct one column's target (what a dropdown does)."""
        self.refresh({column_index: target})

    def ignore_unmatched(self) -> None:
        """Ignore every column left unmatched (what the button does)."""
        if self.inspection is not None:
            self.refresh({m.column.index: "ignore" for m in self.inspection.unmatched})

    def set_label(self, label: str, value: int | None) -> None:
        """Map an answer label onto the scale (``None``: not answered), for every column (what a label's
        dropdown does)."""
        self.refresh(change=lambda insp: insp.with_answer_labels({label: value}))

    def set_reversed(self, block: str, turned: bool) -> None:
        """Read a block's numbers the other way, or the usual way (what a block's box does)."""
        insp = self.inspection
        if insp is None:
            return
        columns = next((cols for name, cols in insp.blocks() if name == block), ())
        self.refresh(change=lambda i: i.with_reversed([m.column.index for m in columns], turned))

    def remember(self) -> None:
        """Save this file's mapping for the form's next exports: the consultant's for the school's trust, a
        school's link for that school only."""
        if self.inspection is None:
            return
        try:
            with Store.open(self.data) as store:
                saved = remember_mapping(
                    store.scoped(self.scope),
                    self.school.value,
                    self.inspection,
                    for_trust=self.scope.is_consultant,
                    saved_by=self.imported_by,
                    source="import form",
                )
        except WqmError as exc:
            self._error(str(exc))
            return
        whose = "every school of the trust" if self.scope.is_consultant else "this school"
        self.status.value = (
            f"<p class='wqm-ok'>Mapping saved (saved mapping {saved}) for {whose}: the next "
            f"export of this form maps by itself.</p>"
        )

    def run_import(self) -> None:
        """Write the checked plan to the store (the same code as ``wqm survey import``)."""
        if self.plan is None:
            return
        try:
            with Store.open(self.data) as store:
                outcome = commit_import(
                    store.scoped(self.scope),
                    self.plan,
                    self.school.value,
                    str(self.year.value or "").strip(),
                    on_existing=self.on_existing.value,
                    imported_by=self.imported_by,
                )
        except WqmError as exc:
            self._error(str(exc))
            return
        if outcome.already:
            self.status.value = (
                f"<p class='wqm-ok'>Already imported: this file is import {outcome.import_id} "
                f"({html.escape(outcome.already['imported_at'])}); nothing was written.</p>"
            )
            return
        replaced = "".join(
            f" It replaces import {r['import_id']} ({html.escape(r['file_name'] or r['source'])})."
            for r in outcome.replaced
        )
        self.status.value = (
            f"<p class='wqm-ok'>Imported as import {outcome.import_id}: {outcome.answers} answers "
            f"of {self.plan.kept} respondents for {html.escape(self.school.value)} "
            f"{html.escape(self.year.value)}.{replaced}</p>"
        )
        self.import_button.disabled = True

    def show_mapping(self) -> None:
        """Show the mapping as YAML, to save beside the export for next year's import (--mapping)."""
        if self.inspection is None:
            return
        self.mapping_text.value = self.inspection.mapping_used().to_yaml()
        self.mapping_text.layout.display = None

    # -- display -------------------------------------------------------------

    def _error(self, message: str) -> None:
        self.status.value = f"<p class='wqm-error' role='alert'>{html.escape(message)}</p>"

    def _show_inspection(self) -> None:
        insp = self.inspection
        assert insp is not None  # shown by refresh() once an inspection is made
        self.detected.value = (
            f"<p><b>Detected:</b> {html.escape(insp.shape.tool_name)}"
            f"{' (' + html.escape(insp.shape.detail) + ')' if insp.shape.detail else ''}; "
            f"{html.escape(insp.table.described)}; {insp.rows} rows.</p>"
        )
        self.ignore_button.layout.display = None if insp.unmatched else "none"
        if not insp.matches:  # a tally: no per-column mapping
            self.mapping_box.children = self.labels_box.children = self.blocks_box.children = ()
            return
        survey = self.bank.surveys[insp.survey]
        choices = [(f"{i.id}: {i.text[:60]}", i.id) for i in survey.items]
        if survey.subgroup:
            choices.append((f"subgroup: {survey.subgroup.label}", SUBGROUP))
        choices += [(f"comment {c.id}", f"comment {c.id}") for c in survey.comments]
        measures = [
            (f"{instrument} item {column}", column)
            for column, (instrument, _) in instrument_item_ids().items()
            if "." not in column
        ]
        choices.append(IGNORE_CHOICE)
        rows = []
        for m in insp.matches:
            label = widgets.HTML(
                f"<span class='wqm-col'>{m.column.letter}</span> {html.escape(shown_header(m.column.header, 90))}",
                layout=widgets.Layout(width="50%"),
            )
            if m.action == PERSONAL:  # personal data never enters the store: ignore is the only choice
                dropdown = widgets.Dropdown(
                    options=[("ignore (personal data)", "ignore")],
                    value="ignore",
                    disabled=True,
                    layout=widgets.Layout(width="45%"),
                )
            else:
                value = {
                    ITEM: m.target,
                    SUBGROUP: SUBGROUP,
                    COMMENT_TARGET: f"comment {m.target}",
                    INSTRUMENT: m.target,
                }.get(m.action, "" if m.action == UNMATCHED else "ignore")
                options = choices + measures
                if not value:
                    options = [("— choose: answers on the scale —", ""), *options]
                elif value not in {v for _, v in options}:
                    options = [(value, value), *options]
                dropdown = widgets.Dropdown(options=options, value=value, layout=widgets.Layout(width="45%"))
                dropdown.observe(
                    lambda change, i=m.column.index: self.set_target(i, change["new"]) if change["new"] else None,
                    names="value",
                )
            rows.append(widgets.HBox([label, dropdown]))
        self.mapping_box.children = [widgets.HTML("<h3>Columns</h3>"), *rows]
        self._show_labels(insp)
        self._show_blocks(insp)

    def _show_labels(self, insp: Inspection) -> None:
        """Every answer that is not on the scale, once, with the columns it is in and a dropdown onto it."""
        found: dict[str, list[str]] = {}
        for m, labels in insp.unknown_labels().items():
            for label in labels:
                found.setdefault(label, []).append(m.column.letter)
        if not found:
            self.labels_box.children = ()
            return
        scale = self.bank.scale_of(insp.survey)
        options = [
            ("— choose —", None),
            *((f"{lv.value} {lv.label}", lv.value) for lv in scale.levels),
            NOT_ANSWERED_CHOICE,
        ]
        rows = []
        for label, letters in found.items():
            dropdown = widgets.Dropdown(options=options, value=None, layout=widgets.Layout(width="40%"))
            dropdown.observe(
                lambda change, text=label: (
                    self.set_label(text, None if change["new"] == -1 else change["new"])
                    if change["new"] is not None
                    else None
                ),
                names="value",
            )
            rows.append(
                widgets.HBox(
                    [
                        widgets.HTML(
                            f"<b>{html.escape(label)}</b> (in {', '.join(letters)})", layout=widgets.Layout(width="50%")
                        ),
                        dropdown,
                    ]
                )
            )
        self.labels_box.children = [widgets.HTML("<h3>Answers not on the scale</h3>"), *rows]

    def _show_blocks(self, insp: Inspection) -> None:
        """A box per block of item columns whose answers are numbers: read them the other way."""
        top = self.bank.scale_of(insp.survey).levels[-1].label
        rows = []
        body = insp.body
        for name, columns in insp.blocks():
            values = {v.strip() for m in columns for v in body[m.column.index].tolist() if v.strip()}
            if not values or not all(v.lstrip("-").replace(".", "", 1).isdigit() for v in values):
                continue
            box = widgets.Checkbox(
                value=insp.is_reversed(columns[0]),
                indent=False,
                description=f"Columns {name}: 1 means {top} (the numbers run the other way)",
            )
            box.observe(lambda change, block=name: self.set_reversed(block, change["new"]), names="value")
            rows.append(box)
        self.blocks_box.children = [widgets.HTML("<h3>Number answers</h3>"), *rows] if rows else []

    def _show_plan(self) -> None:
        plan = self.plan
        assert plan is not None  # shown by refresh() once a plan is made
        lines = "".join(f"<li>{html.escape(line)}</li>" for line in plan.summary(self.threshold)[3:])
        counts = plan.section_counts(self.framework, self.threshold)
        table = counts.to_html(index=False, na_rep="", classes="wqm-table", border=0) if len(counts) else ""
        self.preview.value = f"<h3>Preview</h3><ul>{lines}</ul>{table}"


def survey_import_app(
    *, school_id: str, year: str, data: str = "", survey: str = "staff", framework: str = DEFAULT_FRAMEWORK
) -> SurveyImportApp:
    """The form for the notebook: the school and year from the Voila URL when served."""
    scope = import_scope(school_id=school_id, year=year)
    return SurveyImportApp(
        scope.school_id,
        scope.year,
        data=data,
        survey=survey,
        framework=framework,
        scope=scope.scope,
        imported_by=os.environ.get("WQM_USER", ""),
    )


__all__ = ["UPLOAD_LIMIT_MB", "ImportScope", "SurveyImportApp", "import_scope", "survey_import_app"]

"""One survey import, from an export file to the store: inspect, plan, commit.

The same three steps serve ``wqm survey import`` and the import widget:

1. :func:`inspect_export` reads the file (:mod:`~wqm_nb.intake.files`),
   recognises its shape (:mod:`~wqm_nb.intake.shapes`) and matches its
   columns to the question bank (:mod:`~wqm_nb.intake.matching`). Nothing is
   refused yet, so the consultant can see and correct the mapping.
2. :func:`plan_import` converts every kept cell: answer labels to values by
   the survey's scale (the bank's Likert scale, or the staff audit's maturity
   scale), subgroup answers to subgroup values, comments redacted
   and checked against the safeguarding list. Any unknown label, unknown
   subgroup answer or unmatched scale column is a
   :class:`~wqm_nb.errors.DataFileError` naming file, row, column and value,
   and nothing is imported from that file. Respondents with no answer on the
   scale are dropped and counted; partial responses are kept. Respondents get
   fresh pseudonymous ids in a shuffled order, so no id leads back to a row
   of the export.
3. :func:`commit_import` writes the plan through
   :meth:`wqm_nb.store.Store.import_survey` in one transaction (the file's
   SHA-256 makes a second import of the same file a no-op).

**Validated measures.** An export may carry a block of a validated measure's
items (SDQ, SWEMWBS, Stirling) after the survey's own items, matched by
position, by the mapping or by headers named like ``swemwbs1``
(:mod:`~wqm_nb.intake.matching`). :func:`plan_import` scores them with
:func:`wqm_nb.model.scoring.score_responses` (or, for pre-scored SDQ scale
scores, :func:`~wqm_nb.model.scoring.score_prescored`), with the informant the
mapping or ``--informant`` gives (else the survey's: pupils self-report,
parents the parent form). A bad answer is a :class:`DataFileError` naming
the export's row and column. Only the scores are written (``survey_scores``,
with the respondent's pseudonymous id), not the item answers (see
:mod:`wqm_nb.store.surveys`). A respondent is kept when they answered one of
the survey's items or got a score.

Personal data never enters the store: personal and metadata columns and
free-text columns are not read past their header, and comments are kept only
on request (``keep_comments``), redacted, without any link to a respondent.
A comment or free-text answer that contains a safeguarding term is reported
to the consultant (with its row in the export) even when it is not kept, so a
disclosure is passed on rather than lost.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypedDict

import numpy as np
import pandas as pd

from ..data import Framework, QuestionBank, load_mapping, load_question_bank
from ..data.import_mapping import (
    COMMENT,
    IGNORE,
    SUBGROUP,
    ImportMapping,
    InstrumentBlock,
    column_index,
    default_informant,
    normalise_text,
)
from ..data.instruments import Instrument, load_instrument
from ..data.safeguarding import SafeguardingList, load_safeguarding_list
from ..data.surveys import NOT_ANSWERED
from ..errors import DataFileError, SettingsError
from ..model.scoring import score_prescored, score_responses
from ..store import ScopedStore, Store
from ..store.store import SurveyImportOutcome
from ..store.surveys import MISSING, SCORE_COLUMNS, TALLY_COLUMNS, SurveyBlock, SurveyData
from .comments import Comment, prepare_comments
from .files import EXCEL_ERRORS, RawTable, column_letter, read_table
from .matching import COMMENT_TARGET, FREE_TEXT, INSTRUMENT, ITEM, UNMATCHED, ColumnMatch, match_columns
from .shapes import GENERIC, TALLY, Shape, detect_shape, looks_like_answers, quoted_header, shown_header
from .tally import Tally, read_tally

#: How many rows of the export a safeguarding notice lists.
NOTICE_ROWS = 10


@dataclass(frozen=True)
class Inspection:
    """An export read and matched, before any cell is converted (:func:`inspect_export`)."""

    table: RawTable
    shape: Shape
    survey: str
    matches: tuple[ColumnMatch, ...]
    bank: QuestionBank
    mapping: ImportMapping | None = None

    @property
    def body(self) -> pd.DataFrame:
        """The answer rows (header rows removed)."""
        return self.table.cells.iloc[self.shape.header_rows :].reset_index(drop=True)

    @property
    def rows(self) -> int:
        return max(len(self.table.cells) - self.shape.header_rows, 0)

    def row_number(self, position: int) -> int:
        """The spreadsheet row number of answer row ``position`` (0-based)."""
        return self.table.row_number(self.shape.header_rows + position)

    @property
    def unmatched(self) -> list[ColumnMatch]:
        return [m for m in self.matches if m.action == UNMATCHED]

    def detected(self) -> list[str]:
        """What was read: the file (format, encoding, delimiter, sheet) and the tool it came from."""
        return [
            f"file: {self.table.file_name} ({self.table.described})",
            f"detected: {self.shape.tool_name}" + (f", {self.shape.detail}" if self.shape.detail else ""),
        ]

    def column_lines(self) -> list[str]:
        """Every column of the export and what it becomes, one line each, its header as the user sees it."""
        return [f"{'column':6} {'becomes':34} header"] + [
            f"{m.column.letter:6} {m.described:34} {shown_header(m.column.header)}" for m in self.matches
        ]

    def unknown_labels(self, actions: tuple[str, ...] = (ITEM,)) -> dict[ColumnMatch, dict[str, int]]:
        """Per item column (``actions``: the columns to look at, e.g. unmatched ones too), the answers that
        are not on the survey's scale: ``{label: cells}`` in the order first met (an Excel error such as
        ``#N/A`` is not an answer and is not listed: it is read as not answered, and
        :meth:`ImportPlan.summary` says so)."""
        labels = self.mapping.answer_labels if self.mapping else {}
        body = self.body
        out: dict[ColumnMatch, dict[str, int]] = {}
        for m in self.matches:
            if m.action not in actions:
                continue
            column = body[m.column.index]
            bad: dict[str, int] = {}
            for raw, count in column.value_counts(sort=False).items():
                text = str(raw)
                if text.strip() in EXCEL_ERRORS or normalise_text(text) in labels:
                    continue
                try:
                    self.bank.answer_value(text, self.survey)
                except ValueError:
                    bad[text] = int(count)
            if bad:
                out[m] = bad
        return out

    def with_answer_labels(self, labels: dict[str, int | None]) -> Inspection:
        """The inspection with answer labels mapped onto the scale (``label -> value``; None: not answered)."""
        mapping = self.mapping_used()
        given = dict(mapping.answer_labels)
        for label, value in labels.items():
            given[normalise_text(label)] = value
        return replace(self, mapping=replace(mapping, answer_labels=given))

    def blocks(self) -> list[tuple[str, tuple[ColumnMatch, ...]]]:
        """The item columns in blocks that are read alike: ``(name, columns)``, one block per grid or matrix
        question, else per run of adjacent item columns."""
        out: list[tuple[str, list[ColumnMatch]]] = []
        last_question, last_index = None, -2
        for m in self.matches:
            if m.action != ITEM:
                continue
            question = m.column.texts[-1] if len(m.column.texts) > 1 else None
            if out and (
                (question is not None and question == last_question)
                or (question is None and last_question is None and m.column.index == last_index + 1)
            ):
                out[-1][1].append(m)
            else:
                out.append(("", [m]))
            last_question, last_index = question, m.column.index
        named = []
        for _, columns in out:
            first, last = columns[0].column.letter, columns[-1].column.letter
            name = f"{first}-{last}" if first != last else first
            named.append((name, tuple(columns)))
        return named

    def is_reversed(self, match: ColumnMatch) -> bool:
        """Whether the mapping says this column's numbers run the other way (1 is the top of the scale)."""
        turned = self.mapping.reversed if self.mapping else frozenset()
        return any(normalise_text(t) in turned for t in (match.column.header, *match.column.texts))

    def with_reversed(self, column_indexes: Iterable[int], turned: bool) -> Inspection:
        """The inspection with some columns' numbers read the other way (``turned``) or the usual way."""
        mapping = self.mapping_used()
        keys = {normalise_text(self.shape.columns[i].header): self.shape.columns[i].header for i in column_indexes}
        reversed_now = (mapping.reversed | set(keys)) if turned else (mapping.reversed - set(keys))
        new = replace(mapping, reversed=frozenset(reversed_now), headers={**mapping.headers, **keys})
        return replace(self, mapping=new)

    def unused_mapping_lines(self) -> list[str]:
        """The mapping's lines that match no column of this export: ``columns:`` headers (as written in the
        mapping) and ``instruments:`` blocks whose columns lie beyond the file's last column."""
        if self.mapping is None:
            return []
        seen = {normalise_text(t) for c in self.shape.columns for t in c.texts}
        unused = [
            f"{quoted_header(self.mapping.headers.get(key, key))}: {target}"
            for key, target in self.mapping.columns.items()
            if key not in seen
        ]
        width = len(self.shape.columns)
        for block in self.mapping.instruments.values():
            beyond = [c for c in block.columns if column_index(c) >= width]
            if beyond:
                unused.append(
                    f"instruments: {block.instrument} columns {', '.join(beyond)} (the file ends at "
                    f"column {column_letter(width - 1)})"
                )
        return unused

    def with_targets(self, targets: dict[int, str]) -> Inspection:
        """The inspection with some columns' targets changed (column index -> item id, ``subgroup``,
        ``comment <id>`` or ``ignore``), as the consultant corrects them; re-matched through a mapping."""
        mapping = self.mapping_used()
        columns = dict(mapping.columns)
        headers = dict(mapping.headers)
        for index, target in targets.items():
            header = self.shape.columns[index].header
            columns[normalise_text(header)] = target
            headers[normalise_text(header)] = header
        return self.through(replace(mapping, columns=columns, headers=headers))

    def through(self, mapping: ImportMapping | None) -> Inspection:
        """The same file matched again through ``mapping`` (not read again): a saved mapping, or corrections.
        A personal-data column the mapping routes anywhere but ignore is refused, as on a first reading."""
        return _matched(self.table, self.shape, self.survey, self.bank, mapping)

    def mapping_used(self) -> ImportMapping:
        """The mapping this inspection amounts to: every question column's target (to save as YAML).

        A validated measure's columns are saved by header (header -> ``swemwbs3``) so next year's export
        maps whatever their position, or by position (``instruments: {swemwbs: {columns: [...]}}``) when
        one of their headers is not unique in the export; an instrument with more than one informant is
        saved with the informant used."""
        columns, headers = {}, {}
        keys = [normalise_text(c.header) for c in self.shape.columns]
        instruments: dict[str, InstrumentBlock] = {}
        given = self.mapping.instruments if self.mapping else {}
        for m in self.matches:
            if m.action == INSTRUMENT:
                block = instruments.setdefault(
                    m.instrument, InstrumentBlock(m.instrument, (), self.instrument_informant(m.instrument, quiet=True))
                )
                if any(
                    keys.count(normalise_text(x.column.header)) > 1
                    for x in self.matches
                    if x.action == INSTRUMENT and x.instrument == m.instrument
                ):
                    instruments[m.instrument] = replace(block, columns=block.columns + (m.column.letter,))
                    continue
                columns[normalise_text(m.column.header)] = f"{m.instrument}.{m.target}" if m.prescored else m.target
                headers[normalise_text(m.column.header)] = m.column.header
            if m.action in (ITEM, SUBGROUP, COMMENT_TARGET, IGNORE):
                target = {ITEM: m.target, SUBGROUP: SUBGROUP, COMMENT_TARGET: f"{COMMENT} {m.target}", IGNORE: IGNORE}[
                    m.action
                ]
                columns[normalise_text(m.column.header)] = target
                headers[normalise_text(m.column.header)] = m.column.header
        for instrument_id, block in list(instruments.items()):
            if len(load_instrument(instrument_id).informants) == 1 and not given.get(instrument_id, block).informant:
                instruments[instrument_id] = replace(block, informant="")
        base = self.mapping or ImportMapping(survey=self.survey)
        return replace(base, survey=self.survey, columns=columns, headers=headers, path="", instruments=instruments)

    def instrument_informant(self, instrument_id: str, quiet: bool = False) -> str:
        """The informant an instrument of this export is scored for: the mapping's (``--informant``), else
        the survey's default (:func:`~wqm_nb.data.import_mapping.default_informant`). :class:`SettingsError`
        when the instrument needs one and none is known (``quiet``: '' instead)."""
        instrument = load_instrument(instrument_id)
        block = self.mapping.instruments.get(instrument_id) if self.mapping else None
        wanted = (block.informant if block else "") or default_informant(instrument, self.survey)
        try:
            return instrument.resolve_informant(wanted or None)
        except SettingsError:
            if quiet:
                return ""
            raise


@dataclass(frozen=True)
class ImportPlan:
    """Everything one import writes, converted and checked (:func:`plan_import`)."""

    inspection: Inspection
    item_ids: tuple[str, ...]
    respondents: tuple[str, ...] = ()
    subgroups: tuple[str, ...] = ()
    values: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.int8))
    dropped_empty: int = 0
    tally: Tally | None = None
    comments: tuple[Comment, ...] = ()
    notices: tuple[str, ...] = ()  # safeguarding notices for the consultant (never stored)
    #: the validated measures found and scored (:class:`InstrumentUse`)
    instruments: tuple[InstrumentUse, ...] = ()
    #: their scores, one row per kept respondent and score with a value (:data:`SCORE_FIELDS`)
    scores: pd.DataFrame | None = None
    #: what the import passed over and the user should know: mapping lines that match nothing
    #: (``allow_missing``), unmatched columns left out (``ignore_unmatched``), Excel error cells
    warnings: tuple[str, ...] = ()

    def score_rows(self) -> list[tuple]:
        """The scores as :meth:`wqm_nb.store.Store.import_survey` takes them (respondent, instrument,
        informant, score id, value, band)."""
        if self.scores is None or not len(self.scores):
            return []
        return list(self.scores[SCORE_FIELDS].itertuples(index=False, name=None))

    @property
    def survey(self) -> str:
        return self.inspection.survey

    @property
    def kept(self) -> int:
        """Respondents kept (for a tally: forms, counted as in the published figures)."""
        if self.tally is not None:
            per: dict[tuple[str, str], int] = {}
            for s, i, _, c in self.tally.counts:
                per[(s, i)] = per.get((s, i), 0) + c
            best: dict[str, int] = {}
            for (s, _), c in per.items():
                best[s] = max(best.get(s, 0), c)
            return sum(best.values())
        return len(self.respondents)

    def subgroup_counts(self) -> dict[str, int]:
        """Kept respondents per subgroup value (``""`` = not given), in the bank's order."""
        survey = self.inspection.bank.surveys[self.survey]
        order = list(survey.subgroup.values) + [""] if survey.subgroup else [""]
        if self.tally is not None:
            counts = pd.Series(dtype=int)
        else:
            counts = pd.Series(self.subgroups, dtype=object).value_counts()
        return {v: int(counts.get(v, 0)) for v in order if counts.get(v, 0)}

    def survey_data(self) -> SurveyData:
        """This import alone as a school year's survey data (answers or a tally, and scores)."""
        scores = None
        if self.scores is not None and len(self.scores):
            by_respondent = dict(zip(self.respondents, self.subgroups, strict=False))
            scores = self.scores.assign(
                survey=self.survey, subgroup=self.scores["respondent"].map(by_respondent).fillna("")
            )[SCORE_COLUMNS]
        if self.tally is not None:
            tallies = pd.DataFrame(
                [(self.survey, g, i, v, c) for g, i, v, c in self.tally.counts], columns=TALLY_COLUMNS
            )
            return SurveyData(tallies=tallies, scores=scores, tally_imports=tuple([0] * len(tallies)))
        block = SurveyBlock(
            self.survey,
            tuple(self.item_ids),
            np.array(self.respondents, dtype=object),
            np.array(self.subgroups, dtype=object),
            self.values,
        )
        return SurveyData(blocks={self.survey: block}, scores=scores)

    def section_counts(self, framework: Framework, threshold: int | None = None) -> pd.DataFrame:
        """Per section of ``framework``: respondents with an answer to its items, and answers (a preview).

        With ``threshold`` (the import form, which a link holder may see), the counts are what the release
        of this import alone would publish (:mod:`wqm_nb.disclosure.release`): a section too small, or hidden
        to protect another, shows its reason and no numbers."""
        if threshold is not None:
            return self._published_counts(framework, threshold)
        mapping = load_mapping(framework, self.inspection.bank)
        items = mapping.surveys.get(self.survey, {})
        rows = []
        for principle in framework.principles:
            own = [k for k, i in enumerate(self.item_ids) if items.get(i) == principle.id]
            if not own:
                continue
            if self.tally is not None:
                ids = {self.item_ids[k] for k in own}
                answers = sum(c for _, i, _, c in self.tally.counts if i in ids)
                respondents = None
            else:
                answered = self.values[:, own] != MISSING
                answers, respondents = int(answered.sum()), int(answered.any(axis=1).sum())
            rows.append(dict(section=principle.id, name=principle.name, respondents=respondents, answers=answers))
        return pd.DataFrame(rows, columns=["section", "name", "respondents", "answers"])

    def _published_counts(self, framework: Framework, threshold: int) -> pd.DataFrame:
        from ..disclosure.release import release_of
        from ..model.figures import publish_figures, survey_totals

        bank = self.inspection.bank
        mapping = load_mapping(framework, bank)
        data = self.survey_data()
        release = release_of(data, bank, threshold, survey_totals(data, bank), framework, mapping)
        whole = publish_figures(data, bank, mapping, framework, threshold, release).whole
        whole = whole[whole["survey"] == self.survey]
        rows = [
            dict(
                section=r.section_id,
                name=r.section,
                respondents=r.reason if r.reason else int(r.n),
                answers="" if r.reason else int(r.answers),
            )
            for r in whole.itertuples()
        ]
        return pd.DataFrame(rows, columns=["section", "name", "respondents", "answers"])

    def summary(self, threshold: int | None = None) -> list[str]:
        """What was detected and what will be written, as lines for a terminal or a widget. With ``threshold``
        (the import form), a subgroup smaller than it is "fewer than N", as every published figure says."""
        insp = self.inspection
        lines = [*insp.detected(), f"survey: {insp.bank.surveys[self.survey].name}"]
        if self.tally is not None:
            lines.append(
                f"rows: {insp.rows}; tallied answers: {sum(c for *_, c in self.tally.counts)}; "
                f"not answered (Don't know, N/A): {self.tally.not_answered}; forms counted: {self.kept}"
            )
        else:
            lines.append(
                f"rows: {insp.rows}; respondents kept: {self.kept}; "
                f"dropped with no answer on the scale: {self.dropped_empty}"
            )
        counts = self.subgroup_counts()
        if counts:

            def shown(n: int) -> str:
                return f"fewer than {threshold}" if threshold is not None and n < threshold else str(n)

            lines.append("subgroups: " + ", ".join(f"{v or 'not given'} {shown(n)}" for v, n in counts.items()))
        dropped = [m for m in insp.matches if not m.kept]
        if dropped:
            lines.append(
                "dropped columns: "
                + "; ".join(
                    f"{m.column.letter} {_short(m.column.header)} ({m.described.replace('dropped: ', '')})"
                    for m in dropped
                )
            )
        missing = [i for i in insp.bank.surveys[self.survey].item_ids if i not in self.item_ids]
        if missing:
            lines.append(f"items not in this export: {', '.join(missing)}")
        lines += [u.described() for u in self.instruments]
        if self.comments:
            flagged = sum(1 for c in self.comments if c.flags)
            lines.append(f"comments kept (redacted): {len(self.comments)}, of which {flagged} flagged")
        lines += [f"note: {w}" for w in self.warnings]
        lines += [f"SAFEGUARDING: {n}" for n in self.notices]
        return lines


#: The columns of :attr:`ImportPlan.scores`.
SCORE_FIELDS = ["respondent", "instrument", "informant", "score_id", "value", "band"]


@dataclass(frozen=True)
class InstrumentUse:
    """One validated measure found in an export and scored (:func:`plan_import`)."""

    instrument: str
    name: str
    informant: str
    columns: tuple[tuple[str, str], ...]  # (column letter, item column or pre-scored score id)
    how: tuple[str, ...]  # how its columns were matched: position, mapping, header
    prescored: bool = False
    answered: int = 0  # rows of the export that answered at least one of its columns
    scored: int = 0  # rows with at least one of its scores (all kept)

    def described(self) -> str:
        """One line for the consultant to confirm: the columns mapped, how, and what was scored."""
        mapped = ", ".join(f"{letter} {target}" for letter, target in self.columns)
        kind = "pre-scored scores" if self.prescored else "answers"
        unscored = self.answered - self.scored
        tail = (
            f"; {unscored} answered too few items for a score"
            if unscored and not self.prescored
            else f"; {unscored} have no score"
            if unscored
            else ""
        )
        tail += " (a respondent with no survey answer and no score is dropped)" if unscored else ""
        return (
            f"measure: {self.name} ({self.instrument}, {self.informant}), columns by {' and '.join(self.how)}: "
            f"{mapped}; {self.answered} respondents with {kind}, {self.scored} scored{tail}. Only the scores "
            f"are stored, not the item answers"
        )


def _short(text: str, width: int = 48) -> str:
    return shown_header(text, width)


def inspect_export(
    data: bytes,
    file_name: str,
    survey: str,
    *,
    bank: QuestionBank | None = None,
    mapping: ImportMapping | None = None,
    sheet: str | None = None,
) -> Inspection:
    """Read an export's bytes and match its columns (step 1 in the module notes); ``sheet``: the workbook
    sheet to read (default: the one holding the responses)."""
    bank = bank or load_question_bank()
    if survey not in bank.surveys:
        raise SettingsError(f"unknown survey {survey!r} (question bank: {', '.join(bank.surveys)})")
    if mapping and mapping.survey != survey:
        raise SettingsError(
            f"the mapping {Path(mapping.path).name or ''} is for the {mapping.survey} survey, not {survey}"
        )
    table = read_table(data, file_name, sheet)
    shape = detect_shape(table, bank)
    if shape.tool == GENERIC and mapping is None and looks_like_answers(table, bank):
        first = ", ".join(quoted_header(c.header) for c in shape.columns[:4])
        raise DataFileError(
            table.file_name,
            "",
            f"the first row ({first}, ...) holds answers, not questions: the header row seems to have been "
            f"deleted; export the responses again with their questions as the first row",
        )
    if len(table.cells) <= shape.header_rows:
        raise DataFileError(table.file_name, "", "the file has a header but no responses")
    return _matched(table, shape, survey, bank, mapping)


def _matched(
    table: RawTable, shape: Shape, survey: str, bank: QuestionBank, mapping: ImportMapping | None
) -> Inspection:
    """A read table's columns matched through ``mapping`` (a column of personal data mapped to anything but
    ignore is refused, naming it)."""
    body = table.cells.iloc[shape.header_rows :].reset_index(drop=True)
    matches = match_columns(shape.columns, body, bank.surveys[survey], bank, mapping) if shape.tool != TALLY else []
    refused = [m for m in matches if m.refused]
    if refused:
        listed = "; ".join(
            f"column {m.column.letter} {quoted_header(m.column.header)} is personal data: it can only be mapped to "
            f"ignore (the mapping says {m.refused})"
            for m in refused
        )
        raise DataFileError(table.file_name, "", f"{listed}; nothing was imported")
    return Inspection(table, shape, survey, tuple(matches), bank, mapping)


def plan_import(
    inspection: Inspection,
    *,
    keep_comments: bool = False,
    staff_names: Iterable[str] = (),
    safeguarding: SafeguardingList | None = None,
    allow_missing: bool = False,
    ignore_unmatched: bool = False,
) -> ImportPlan:
    """Convert and check every kept cell (step 2 in the module notes). A mapping line that matches no column
    is an error unless ``allow_missing`` (next year's file may drop a question); a column with answers on
    the scale that matches no item is an error unless ``ignore_unmatched`` (then it is dropped and listed)."""
    insp = inspection
    bank, survey = insp.bank, insp.bank.surveys[insp.survey]
    name = insp.table.file_name
    unused = insp.unused_mapping_lines()
    named = [line for line in unused if not line.endswith(f": {IGNORE}")]  # an unused "ignore" loses nothing
    if named and not allow_missing:
        raise DataFileError(
            name,
            "",
            f"the mapping {Path(insp.mapping.path).name if insp.mapping else ''} names what this file does not "
            f"have: {'; '.join(named)}. Correct the header (copy it from `wqm survey map`), or import with "
            f"--allow-missing when the question was dropped; nothing was imported",
        )
    warnings = [f"the mapping's line {line} matches no column" for line in unused]
    if insp.shape.tool == TALLY:
        if insp.mapping and insp.mapping.instruments:
            raise DataFileError(
                name,
                "",
                f"a paper tally holds counts, not respondents, so "
                f"{', '.join(insp.mapping.instruments)} cannot be scored from it: import "
                f"the forms' answers (one row per respondent) instead; nothing was imported",
            )
        tally = read_tally(insp.table, insp.shape, survey, bank, insp.mapping)
        return ImportPlan(
            insp,
            item_ids=tuple(sorted({i for _, i, _, _ in tally.counts}, key=survey.item_ids.index)),
            tally=tally,
            warnings=tuple(warnings),
        )
    if insp.unmatched and ignore_unmatched:
        warnings += [
            f"not imported, matches no item (--ignore-unmatched): {m.column.letter} {shown_header(m.column.header)}"
            for m in insp.unmatched
        ]
    elif insp.unmatched:
        listed = "; ".join(
            f"{m.column.letter} {quoted_header(m.column.header)}"
            + (f" (a {m.other_survey} survey item: is this the {m.other_survey} survey?)" if m.other_survey else "")
            + (f" ({m.how})" if m.how.startswith("a second") else "")
            for m in insp.unmatched
        )
        raise DataFileError(
            name,
            "",
            f"column(s) with answers on the scale match no item of the "
            f"{survey.name.lower()}: {listed}. Map each to an item or to ignore in a "
            f"mapping file (--mapping); nothing was imported",
        )
    items = [m for m in insp.matches if m.action == ITEM]
    if not items and not any(m.action == INSTRUMENT for m in insp.matches):
        raise DataFileError(
            name,
            "",
            f"no column matches a question of the {survey.name.lower()} "
            f"(first headers: {', '.join(quoted_header(c.header) for c in insp.shape.columns[:4])}); "
            f"is this the right file and --survey?",
        )
    unknown = insp.unknown_labels()
    if unknown:
        raise _unknown_answers(insp, unknown)
    items.sort(key=lambda m: survey.item_ids.index(m.target))
    body = insp.body
    for m in items:
        errors = body[m.column.index].str.strip().isin(EXCEL_ERRORS)
        if errors.any():
            kinds = ", ".join(sorted(set(body[m.column.index][errors].str.strip())))
            warnings.append(
                f"{int(errors.sum())} cell(s) of column {m.column.letter} (item {m.target}) hold an Excel error "
                f"({kinds}), not an answer: read as not answered"
            )
    values = (
        np.column_stack([_answers(insp, m, body[m.column.index]) for m in items]).astype(np.int8)
        if items
        else np.full((len(body), 0), MISSING, dtype=np.int8)
    )
    sub_match = next((m for m in insp.matches if m.action == SUBGROUP), None)
    subgroups = (
        _subgroups(insp, sub_match, body[sub_match.column.index]) if sub_match else np.full(len(body), "", dtype=object)
    )
    measured = _score_instruments(insp, body)
    has_score = np.zeros(len(body), dtype=bool)
    for block in measured:
        has_score |= block.scored
    keep = (values != MISSING).any(axis=1) | has_score
    kept_rows = np.flatnonzero(keep)
    order = kept_rows[np.random.default_rng(secrets.randbits(64)).permutation(len(kept_rows))]
    prefix = secrets.token_hex(3)
    respondents = tuple(f"p{prefix}-{k + 1:06d}" for k in range(len(order)))
    uses, scores = _instrument_scores(measured, order, respondents)

    safeguarding = safeguarding or load_safeguarding_list()
    comments: list[Comment] = []
    notices = []
    for m in insp.matches:
        if m.action not in (COMMENT_TARGET, FREE_TEXT):
            continue
        texts = body[m.column.index].astype(str)
        if m.action == COMMENT_TARGET and keep_comments:
            comments += prepare_comments([(m.target, t) for t in texts], staff_names, safeguarding)
            continue
        hits = [k for k, t in enumerate(texts) if t.strip() and safeguarding.matches(t)]
        if hits:
            rows = ", ".join(str(insp.row_number(k)) for k in hits[:NOTICE_ROWS])
            more = f" and {len(hits) - NOTICE_ROWS} more" if len(hits) > NOTICE_ROWS else ""
            notices.append(
                f"{len(hits)} answer(s) in column {m.column.letter} ({_short(m.column.header)}) contain "
                f"words from the safeguarding list (rows {rows}{more}). They are not imported: read "
                f"them in the export and pass any disclosure to the school's designated safeguarding "
                f"lead"
                + (" (or import with --keep-comments to keep them, redacted)" if m.action == COMMENT_TARGET else "")
            )
    flagged = sum(1 for c in comments if c.flags)
    if flagged:
        notices.insert(
            0,
            f"{flagged} kept comment(s) contain words from the safeguarding list: read them "
            f"(wqm survey comments) and pass any disclosure to the school's designated "
            f"safeguarding lead",
        )
    return ImportPlan(
        insp,
        item_ids=tuple(m.target for m in items),
        respondents=respondents,
        subgroups=tuple(subgroups[order]),
        values=values[order],
        dropped_empty=int((~keep).sum()),
        comments=tuple(comments),
        notices=tuple(notices),
        instruments=uses,
        scores=scores,
        warnings=tuple(warnings),
    )


@dataclass(frozen=True)
class _Scored:
    """One instrument's block of an export, scored: a row per answer row of the export."""

    instrument: Instrument
    informant: str
    matches: tuple[ColumnMatch, ...]
    frame: pd.DataFrame  # score_responses' output, aligned with the export's answer rows
    answered: np.ndarray  # bool: the row answered at least one of the block's columns
    scored: np.ndarray  # bool: the row has at least one score


def _score_instruments(insp: Inspection, body: pd.DataFrame) -> list[_Scored]:
    """Score every validated measure the export carries (see the module notes); an instrument the mapping
    asks for but whose columns are not found is an error, as is a block mixing item answers and pre-scored
    scores."""
    name = insp.table.file_name
    found: dict[str, list[ColumnMatch]] = {}
    for m in insp.matches:
        if m.action == INSTRUMENT:
            found.setdefault(m.instrument, []).append(m)
    for instrument_id in insp.mapping.instruments if insp.mapping else {}:
        if instrument_id not in found:
            raise DataFileError(
                name,
                "",
                f"no column of {instrument_id} was found: give its columns by position "
                f"(--instrument-columns F:L, in the order of its items) or name each "
                f"column in a mapping file (header: {instrument_id}1 ...); nothing was "
                f"imported",
            )
    rows = [insp.row_number(k) for k in range(len(body))] if found else []
    out = []
    for instrument_id, matches in found.items():
        instrument = load_instrument(instrument_id)
        informant = insp.instrument_informant(instrument_id)
        prescored = [m.prescored for m in matches]
        if any(prescored) and not all(prescored):
            raise DataFileError(
                name,
                "",
                f"the {instrument_id} columns mix item answers and pre-scored scores "
                f"({', '.join(m.column.letter for m in matches)}): import one or the "
                f"other; nothing was imported",
            )
        frame = pd.DataFrame(
            {m.target: body[m.column.index].map(_blank_if_not_answered) for m in matches}, index=body.index
        )
        by_target = {m.target: m for m in matches}
        try:
            scorer = score_prescored if all(prescored) else score_responses
            scored = scorer(instrument, frame.reset_index(drop=True), informant, file=name, row_numbers=rows)
        except DataFileError as exc:
            where = by_target.get(str(exc.column or "").strip().lower())
            raise DataFileError(
                exc.file,
                exc.field,
                f"{instrument.id}: {exc.message}; nothing was imported",
                row=exc.row if where is not None or exc.row != 1 else None,
                column=_where(where) if where is not None else exc.column,
            ) from None
        score_ids = [spec.id for spec in instrument.scores]
        out.append(
            _Scored(
                instrument,
                informant,
                tuple(matches),
                scored,
                frame.notna().any(axis=1).to_numpy(),
                scored[score_ids].notna().any(axis=1).to_numpy(),
            )
        )
    return out


def _blank_if_not_answered(cell: object) -> object:
    """An instrument cell as the scorer takes it: None for a blank or a not-answered label ("Don't know")."""
    text = str(cell).strip() if cell is not None else ""
    return None if normalise_text(text) in NOT_ANSWERED else text


def _instrument_scores(
    measured: list[_Scored], order: np.ndarray, respondents: tuple[str, ...]
) -> tuple[tuple[InstrumentUse, ...], pd.DataFrame | None]:
    """What each measure's block gave the kept respondents (in ``order``, named ``respondents``): a summary
    per instrument, and the scores as rows (:data:`SCORE_FIELDS`, missing scores left out)."""
    uses, frames = [], []
    ids = np.asarray(respondents, dtype=object)
    for block in measured:
        inst = block.instrument
        kept = block.frame.iloc[order].reset_index(drop=True)
        for spec in inst.scores:
            value = kept[spec.id].to_numpy(dtype=float)
            band = (
                kept[f"{spec.id}_band"].fillna("").astype(str).to_numpy()
                if spec.banded
                else np.full(len(kept), "", dtype=object)
            )
            has = ~np.isnan(value)
            frames.append(
                pd.DataFrame(
                    {
                        "respondent": ids[has],
                        "instrument": inst.id,
                        "informant": block.informant,
                        "score_id": spec.id,
                        "value": value[has],
                        "band": band[has],
                    }
                )
            )
        letters = tuple((m.column.letter, m.target) for m in block.matches)
        uses.append(
            InstrumentUse(
                instrument=inst.id,
                name=inst.name,
                informant=block.informant,
                columns=letters,
                how=tuple(dict.fromkeys(m.how for m in block.matches)),
                prescored=all(m.prescored for m in block.matches),
                answered=int(block.answered.sum()),
                scored=int(block.scored.sum()),
            )
        )
    scores = pd.concat(frames, ignore_index=True)[SCORE_FIELDS] if frames else None
    return tuple(uses), scores


def _answers(insp: Inspection, match: ColumnMatch, column: pd.Series) -> np.ndarray:
    """A column's answers as scale values (MISSING = not answered, an Excel error too); its unknown labels
    were refused before (:func:`_unknown_answers`)."""
    lookup: dict[str, int] = {}
    labels = insp.mapping.answer_labels if insp.mapping else {}
    scale = insp.bank.scale_of(insp.survey)
    turned = insp.is_reversed(match)  # numbers run the other way: 1 is the top of the scale
    for raw in pd.unique(column):
        key = normalise_text(raw)
        if key in labels:
            label_value = labels[key]
            lookup[raw] = MISSING if label_value is None else label_value
        elif str(raw).strip() in EXCEL_ERRORS:
            lookup[raw] = MISSING
        else:
            value = insp.bank.answer_value(raw, insp.survey)
            if value is not None and turned and _is_number(raw):
                value = min(scale.values) + max(scale.values) - value
            lookup[raw] = MISSING if value is None else value
    return column.map(lookup).to_numpy(dtype=np.int16)


def _is_number(raw: object) -> bool:
    try:
        float(str(raw))
        return True
    except ValueError:
        return False


def _unknown_answers(insp: Inspection, unknown: dict[ColumnMatch, dict[str, int]]) -> DataFileError:
    """One error listing every answer of every item column that is not on the scale."""
    first_match, first_labels = next(iter(unknown.items()))
    first = next(iter(first_labels))
    column = insp.body[first_match.column.index]
    position = int(np.flatnonzero(column.to_numpy() == first)[0])
    parts = [
        f"{label!r} for item {m.target} (column {m.column.letter}" + (f", {cells} cells)" if cells > 1 else ")")
        for m, labels in unknown.items()
        for label, cells in labels.items()
    ]
    shown = parts if len(parts) <= 40 else parts[:40] + [f"and {len(parts) - 40} more"]
    scale = insp.bank.scale_of(insp.survey).described()
    return DataFileError(
        insp.table.file_name,
        "",
        f"unknown answer{'s' if len(parts) > 1 else ''} {', '.join(shown)}; the scale is {scale}, blank or "
        f"\"Don't know\" for no answer; a school's own labels can be mapped under answer_labels: in a mapping "
        f"file (`wqm survey map` writes one listing them); nothing was imported",
        row=insp.row_number(position),
        column=_where(first_match),
    )


def _subgroups(insp: Inspection, match: ColumnMatch, column: pd.Series) -> np.ndarray:
    """A column's subgroup answers as subgroup values ("" = not given); an unknown answer is an error."""
    subgroup = insp.bank.surveys[insp.survey].subgroup
    assert subgroup is not None  # a column is matched as the subgroup only when the survey asks one
    given = insp.mapping.subgroup_values if insp.mapping else {}
    lookup = {}
    for raw in pd.unique(column):
        key = normalise_text(raw)
        value = given.get(key) or subgroup.value_of(raw)
        if value is None and key and key not in NOT_ANSWERED:
            position = int(np.flatnonzero(column.to_numpy() == raw)[0])
            raise DataFileError(
                insp.table.file_name,
                "",
                f"{raw!r} is not a {subgroup.label.lower()} "
                f"(known: {', '.join(subgroup.values)}); map it under subgroup_values: in a "
                f'mapping file, e.g. "{raw}: {subgroup.values[0]}"; nothing was imported',
                row=insp.row_number(position),
                column=_where(match),
            )
        lookup[raw] = value or ""
    return column.map(lookup).to_numpy(dtype=object)


def _where(match: ColumnMatch) -> str:
    return f"{match.column.letter}: {_short(match.column.header, 60)}"


class _ImportArgs(TypedDict):
    """The :meth:`Store.import_survey` arguments an answers import and a tally import share."""

    source: str
    item_ids: list[str]
    file_name: str
    file_sha256: str
    details: dict
    imported_by: str
    on_existing: str
    comments: list[tuple[str, str, str]]


def commit_import(
    store: Store | ScopedStore,
    plan: ImportPlan,
    school_id: str,
    year: str,
    *,
    on_existing: str = "refuse",
    imported_by: str = "",
) -> SurveyImportOutcome:
    """Write a plan to the store in one transaction (step 3 in the module notes).

    The school must exist; the school year is added if the store has no such
    year for it yet. See :meth:`Store.import_survey` for ``on_existing``.
    """
    store.school(school_id)
    insp = plan.inspection
    details = dict(
        tool=insp.shape.tool,
        format=insp.table.described,
        rows=insp.rows,
        columns=[dict(column=m.column.letter, becomes=m.described) for m in insp.matches],
        comments=len(plan.comments),
    )
    if plan.instruments:
        details["instruments"] = [
            dict(
                instrument=u.instrument,
                informant=u.informant,
                how=list(u.how),
                columns=[letter for letter, _ in u.columns],
                prescored=u.prescored,
                answered=u.answered,
                scored=u.scored,
            )
            for u in plan.instruments
        ]
    with store.transaction():
        school_year_id = store.ensure_school_year(school_id, year)
        common = _ImportArgs(
            source=insp.shape.tool,
            item_ids=list(plan.item_ids),
            file_name=insp.table.file_name,
            file_sha256=insp.table.sha256,
            details=details,
            imported_by=imported_by,
            on_existing=on_existing,
            comments=[(c.item_id, c.text, ",".join(c.flags)) for c in plan.comments],
        )
        if plan.tally is not None:
            return store.import_survey(
                school_year_id, plan.survey, tallies=plan.tally.counts, forms=plan.kept, **common
            )
        return store.import_survey(
            school_year_id,
            plan.survey,
            respondents=list(plan.respondents),
            subgroups=list(plan.subgroups),
            values=plan.values,
            dropped_empty=plan.dropped_empty,
            scores=plan.score_rows(),
            **common,
        )


def read_export(
    path: str | Path,
    survey: str,
    *,
    mapping: ImportMapping | None = None,
    keep_comments: bool = False,
    staff_names: Iterable[str] = (),
    bank: QuestionBank | None = None,
) -> ImportPlan:
    """Inspect and plan the import of an export file in one step."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataFileError(path.name, "", f"cannot read file: {exc.strerror}") from None
    return plan_import(
        inspect_export(data, path.name, survey, bank=bank, mapping=mapping),
        keep_comments=keep_comments,
        staff_names=staff_names,
    )


__all__ = [
    "ImportPlan",
    "InstrumentUse",
    "Inspection",
    "SCORE_FIELDS",
    "commit_import",
    "inspect_export",
    "plan_import",
    "read_export",
]

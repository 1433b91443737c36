"""Mappings saved for a form, found again by the form's header signature.

A form's exports keep their questions from one year to the next, so the mapping made once (in the import
form, with ``wqm survey import --remember``, or by the survey kit) is saved in the store with the
**header signature** of the export: a digest of its question headers in order (after
:func:`~wqm_nb.data.import_mapping.normalise_text`; the tool's metadata and personal-data columns are left
out, so the same form downloaded from another tool, or with an email column added, keeps its signature).
The next export with the same questions is matched by it with no file to edit
(:func:`find_saved_mapping`); ``--mapping`` wins over it and ``--no-saved-mapping`` declines it. Where
mappings are kept and whose they are: :mod:`wqm_nb.store.import_mappings`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ..data.import_mapping import ImportMapping, normalise_text, parse_import_mapping
from .plan import Inspection
from .shapes import OTHER, QUESTION, Shape


def question_headers(shape: Shape) -> list[str]:
    """The headers of an export's question columns, in order (what the signature is of)."""
    return [c.header for c in shape.columns if c.kind in (QUESTION, OTHER)]


def header_signature(headers: list[str]) -> str:
    """The signature of a form's question headers: the same questions in the same order give the same one."""
    text = "\n".join(normalise_text(h) for h in headers)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class SavedMapping:
    """A saved mapping found for an export: the mapping, and the store's record of it."""

    mapping: ImportMapping
    record: dict

    @property
    def described(self) -> str:
        """``saved mapping 3 (the trust's, saved by A. Adviser on 2026-11-02 from staff.csv)``."""
        r = self.record
        owner = f"{r['school_id']}'s own" if r["school_id"] else f"trust {r['trust']}'s" if r["trust"] else "all"
        by = f" by {r['saved_by']}" if r["saved_by"] else ""
        source = f" from {r['file_name']}" if r["file_name"] else ""
        return f"saved mapping {r['mapping_id']} ({owner}, saved{by} on {str(r['saved_at'])[:10]}{source})"


def find_saved_mapping(store: Any, school_id: str, inspection: Inspection) -> SavedMapping | None:
    """The mapping saved for this export's form that applies to ``school_id`` (its own, else its trust's);
    None when there is none. ``store``: a store or a page's scoped store."""
    import yaml

    signature = header_signature(question_headers(inspection.shape))
    record = store.find_import_mapping(school_id, inspection.survey, signature)
    if record is None:
        return None
    mapping = parse_import_mapping(
        yaml.safe_load(record["mapping"]), f"saved mapping {record['mapping_id']}", inspection.bank
    )
    return SavedMapping(mapping, record)


def remember_mapping(
    store: Any, school_id: str, inspection: Inspection, *, for_trust: bool, saved_by: str = "", source: str = ""
) -> int:
    """Save the mapping this inspection amounts to (its columns' targets, the mapping's labels and subgroup
    values) for its form: ``school_id``'s own, or with ``for_trust`` its trust's. Returns its id."""
    headers = question_headers(inspection.shape)
    return int(
        store.save_import_mapping(
            school_id,
            inspection.survey,
            header_signature(headers),
            inspection.mapping_used().to_yaml(),
            for_trust=for_trust,
            headers="\n".join(headers),
            file_name=inspection.table.file_name,
            saved_by=saved_by,
            source=source,
        )
    )


__all__ = [
    "SavedMapping",
    "find_saved_mapping",
    "header_signature",
    "question_headers",
    "remember_mapping",
]

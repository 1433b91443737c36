"""Saved import mappings: how one form's export maps to the question bank, kept so the next export of the same
form maps with no file to edit.

:class:`ImportMappings` is mixed into :class:`~wqm_nb.store.Store`. A saved mapping (table
``import_mappings``) is the mapping YAML with the **header signature** of the export it was made from (a
digest of its question headers, :func:`wqm_nb.intake.saved_mappings.header_signature`), the survey, and
whose it is: one school's (saved through that school's import link, or for it) or a trust's (saved by the
consultant: it applies to every school of the trust). :meth:`ImportMappings.find_import_mapping` returns
the newest mapping of a school's own first, then its trust's. A mapping is configuration, not history: a
newer one for the same form and owner replaces it, ``wqm survey mappings delete`` removes one, and
``wqm school remove`` erases a school's own with the school.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager

from ..errors import StoreError


class ImportMappings:
    """The saved-mapping methods of :class:`~wqm_nb.store.Store` (mixed in; see the module notes)."""

    conn: sqlite3.Connection
    clock: Callable[[], str]
    transaction: Callable[[], AbstractContextManager[sqlite3.Connection]]
    _rows: Callable[..., list[dict]]
    school: Callable[[str], dict]

    def save_import_mapping(
        self,
        school_id: str,
        survey: str,
        signature: str,
        mapping: str,
        *,
        for_trust: bool = False,
        headers: str = "",
        file_name: str = "",
        saved_by: str = "",
        source: str = "",
    ) -> int:
        """Save ``mapping`` (YAML) for exports of ``survey`` with header ``signature``: ``school_id``'s own, or
        with ``for_trust`` its trust's (every school of the trust; a school in no trust: every school of the
        store). It replaces the same owner's mapping of the same form. Returns its id."""
        school = self.school(school_id)
        trust = school["trust"] or ""
        with self.transaction() as c:
            if for_trust:
                c.execute(
                    "DELETE FROM import_mappings WHERE survey = ? AND signature = ? AND school_id IS NULL "
                    "AND trust = ?",
                    (survey, signature, trust),
                )
            else:
                c.execute(
                    "DELETE FROM import_mappings WHERE survey = ? AND signature = ? AND school_id = ?",
                    (survey, signature, school_id),
                )
            cur = c.execute(
                "INSERT INTO import_mappings (survey, signature, school_id, trust, mapping, headers, file_name, "
                "saved_by, saved_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    survey,
                    signature,
                    None if for_trust else school_id,
                    trust,
                    mapping,
                    headers,
                    file_name,
                    saved_by,
                    self.clock(),
                    source,
                ),
            )
            return int(cur.lastrowid or 0)

    def find_import_mapping(self, school_id: str, survey: str, signature: str) -> dict | None:
        """The saved mapping an export of ``survey`` with header ``signature`` for ``school_id`` takes: the
        school's own, else its trust's; the newest of each. None when there is none."""
        trust = self.school(school_id)["trust"] or ""
        rows = self._rows(
            "SELECT * FROM import_mappings WHERE survey = ? AND signature = ? AND "
            "(school_id = ? OR (school_id IS NULL AND trust = ?)) "
            "ORDER BY school_id IS NULL, saved_at DESC, mapping_id DESC LIMIT 1",
            (survey, signature, school_id, trust),
        )
        return rows[0] if rows else None

    def import_mappings(self, school_id: str | None = None) -> list[dict]:
        """Every saved mapping (``school_id``: those that apply to that school: its own and its trust's),
        newest first."""
        if school_id is None:
            return self._rows("SELECT * FROM import_mappings ORDER BY saved_at DESC, mapping_id DESC")
        trust = self.school(school_id)["trust"] or ""
        return self._rows(
            "SELECT * FROM import_mappings WHERE school_id = ? OR (school_id IS NULL AND trust = ?) "
            "ORDER BY saved_at DESC, mapping_id DESC",
            (school_id, trust),
        )

    def import_mapping(self, mapping_id: int) -> dict:
        """One saved mapping by its id."""
        rows = self._rows("SELECT * FROM import_mappings WHERE mapping_id = ?", (mapping_id,))
        if not rows:
            raise StoreError(f"no saved mapping {mapping_id} (wqm survey mappings list shows them)")
        return rows[0]

    def delete_import_mapping(self, mapping_id: int) -> dict:
        """Delete one saved mapping; returns it."""
        row = self.import_mapping(mapping_id)
        with self.transaction() as c:
            c.execute("DELETE FROM import_mappings WHERE mapping_id = ?", (mapping_id,))
        return row


__all__ = ["ImportMappings"]

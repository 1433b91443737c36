"""The evidence crosswalk: elements of different frameworks that ask for the same evidence.

``crosswalk.yaml`` (bundled) lists links, each naming one element of two or
three frameworks (``wqm: P1.6``, ``vbe: A1.1``, ``leadership_management:
LM.1``) and why they are linked. The relation is symmetric: every pair of
elements a link names is linked both ways (:meth:`Crosswalk.linked` answers
from either side). It also holds the coverage map's threshold for thin
evidence (``coverage.thin_evidence_words``).

The file is validated at load against the bundled frameworks: an unknown
framework or element id, a link within one framework, a pair linked twice or
a link without its ``why`` raises :class:`~wqm_nb.errors.DataFileError` naming
the file and the field, e.g. ``crosswalk.yaml: links[3].vbe: unknown element
'A9.1' in vbe (elements: A1.1, ...)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .frameworks import DATA_DIR, Framework, available_frameworks, load_framework
from .yaml_reader import Reader, join, read_yaml

CROSSWALK_FILE = DATA_DIR / "crosswalk.yaml"
#: Own evidence with fewer words than this is "thin" when the file does not say.
DEFAULT_THIN_EVIDENCE_WORDS = 12


@dataclass(frozen=True, order=True)
class ElementRef:
    """One element of one framework: ``framework`` id and ``element_id``."""

    framework: str
    element_id: str

    def __str__(self) -> str:
        return f"{self.framework} {self.element_id}"


@dataclass(frozen=True)
class CrosswalkLink:
    """Elements of two or more frameworks that ask for the same evidence, and why."""

    elements: tuple[ElementRef, ...]
    why: str


@dataclass(frozen=True)
class LinkedElement:
    """An element linked to the one asked about, with the reason of its link."""

    element: ElementRef
    why: str


@dataclass(frozen=True)
class Crosswalk:
    """The validated crosswalk: its links and the coverage map's thin-evidence threshold."""

    links: tuple[CrosswalkLink, ...] = ()
    thin_evidence_words: int = DEFAULT_THIN_EVIDENCE_WORDS
    path: str = ""
    _index: dict[ElementRef, tuple[LinkedElement, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False, hash=False
    )

    def __post_init__(self) -> None:
        index: dict[ElementRef, list[LinkedElement]] = {}
        for link in self.links:
            for a in link.elements:
                for b in link.elements:
                    if a.framework != b.framework:
                        index.setdefault(a, []).append(LinkedElement(b, link.why))
        object.__setattr__(self, "_index", {k: tuple(v) for k, v in index.items()})

    def linked(self, framework: str, element_id: str) -> tuple[LinkedElement, ...]:
        """The elements of other frameworks linked to ``framework``'s ``element_id`` (in file order)."""
        return self._index.get(ElementRef(framework, element_id), ())

    def are_linked(self, a: ElementRef, b: ElementRef) -> bool:
        """Whether two elements are linked (the same answer whichever is asked first)."""
        return any(other.element == b for other in self.linked(a.framework, a.element_id))

    def frameworks(self) -> tuple[str, ...]:
        """The framework ids the links name, sorted."""
        return tuple(sorted({e.framework for link in self.links for e in link.elements}))


def _bundled_frameworks() -> dict[str, Framework]:
    return {fid: load_framework(fid) for fid in available_frameworks()}


def parse_crosswalk(
    doc: Any, file: str | Path = "crosswalk.yaml", frameworks: Mapping[str, Framework] | None = None
) -> Crosswalk:
    """Validate a parsed crosswalk document against ``frameworks`` (id -> Framework; the bundled
    frameworks unless given) and build a :class:`Crosswalk`."""
    frameworks = dict(frameworks) if frameworks is not None else _bundled_frameworks()
    r = Reader(file)
    r.mapping(doc, "", ("coverage", "links"))

    thin = DEFAULT_THIN_EVIDENCE_WORDS
    if doc.get("coverage") is not None:
        r.mapping(doc["coverage"], "coverage", ("thin_evidence_words",))
        thin = r.get(
            doc["coverage"], "thin_evidence_words", "coverage", int, required=False, default=DEFAULT_THIN_EVIDENCE_WORDS
        )
        if thin < 1:
            r.fail("coverage.thin_evidence_words", "must be at least 1")

    links: list[CrosswalkLink] = []
    first_seen: dict[frozenset[ElementRef], int] = {}
    for i, raw in enumerate(r.get(doc, "links", "", list, required=False, default=[])):
        path = f"links[{i}]"
        r.mapping(raw, path)
        refs = []
        for key in raw:
            key = str(key)
            if key == "why":
                continue
            if key not in frameworks:
                r.fail(join(path, key), f"unknown framework {key!r} (known: {', '.join(sorted(frameworks))}; or 'why')")
            element_id = r.get(raw, key, path, str)
            fw = frameworks[key]
            if element_id not in fw.element_ids:
                r.fail(
                    join(path, key), f"unknown element {element_id!r} in {key} (elements: {', '.join(fw.element_ids)})"
                )
            refs.append(ElementRef(key, element_id))
        why = " ".join(r.get(raw, "why", path, str).split())
        if len(refs) < 2:
            r.fail(path, "a link names elements of at least two frameworks (e.g. wqm: P1.6 and vbe: A1.1)")
        for a_pos, a in enumerate(refs):
            for b in refs[a_pos + 1 :]:
                pair = frozenset((a, b))
                if pair in first_seen:
                    r.fail(path, f"links {a} and {b} again (already linked in links[{first_seen[pair]}])")
                first_seen[pair] = i
        links.append(CrosswalkLink(tuple(refs), why))
    return Crosswalk(links=tuple(links), thin_evidence_words=thin, path=str(file))


@cache
def _load_crosswalk_cached(path: str) -> Crosswalk:
    return parse_crosswalk(read_yaml(Path(path)), path)


def load_crosswalk(path: str | Path | None = None) -> Crosswalk:
    """The evidence crosswalk (bundled ``crosswalk.yaml`` unless ``path`` is given)."""
    return _load_crosswalk_cached(str(path or CROSSWALK_FILE))

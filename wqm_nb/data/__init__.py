"""Data layer: frameworks, rating scales, question banks and survey mappings.

Everything here is YAML shipped with the package and validated when it is
loaded; nothing imports from a layer above. ``validate_file`` checks any of
these files and is what ``wqm validate`` runs.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DataFileError
from .crosswalk import CROSSWALK_FILE, Crosswalk, load_crosswalk, parse_crosswalk
from .frameworks import (
    FRAMEWORK_DIR,
    SCALES_FILE,
    Framework,
    available_frameworks,
    load_framework,
    load_scales,
    parse_framework,
    parse_scales,
)
from .instruments import INSTRUMENT_DIR, Instrument, available_instruments, load_instrument, parse_instrument
from .safeguarding import SAFEGUARDING_FILE, load_safeguarding_list, parse_safeguarding
from .surveys import (
    MAPPING_DIR,
    QUESTION_BANK_FILE,
    QuestionBank,
    SurveyMapping,
    load_mapping,
    load_question_bank,
    parse_mapping,
    parse_question_bank,
)
from .yaml_reader import read_yaml

__all__ = [
    "CROSSWALK_FILE",
    "Crosswalk",
    "load_crosswalk",
    "parse_crosswalk",
    "FRAMEWORK_DIR",
    "MAPPING_DIR",
    "QUESTION_BANK_FILE",
    "SCALES_FILE",
    "Framework",
    "QuestionBank",
    "SurveyMapping",
    "available_frameworks",
    "bundled_files",
    "load_framework",
    "load_mapping",
    "load_question_bank",
    "load_safeguarding_list",
    "load_scales",
    "parse_framework",
    "parse_mapping",
    "parse_question_bank",
    "parse_scales",
    "validate_file",
    "INSTRUMENT_DIR",
    "Instrument",
    "available_instruments",
    "load_instrument",
    "parse_instrument",
]


def bundled_files() -> list[Path]:
    """Every data file shipped with the package, in the order they depend on each other."""
    return [
        SCALES_FILE,
        *sorted(FRAMEWORK_DIR.glob("*.yaml")),
        QUESTION_BANK_FILE,
        *sorted(MAPPING_DIR.glob("*.yaml")),
        SAFEGUARDING_FILE,
        CROSSWALK_FILE,
        *sorted(INSTRUMENT_DIR.glob("*.yaml")),
    ]


def validate_file(path: str | Path) -> str:
    """Validate a scales, framework, question bank, mapping, safeguarding-list, crosswalk or instrument file;
    return a one-line summary."""
    path = Path(path)
    doc = read_yaml(path)
    if isinstance(doc, dict) and "response_sets" in doc:
        inst = parse_instrument(doc, path)
        banded = ", ".join(f"{who}: {b.scheme}" for who, b in inst.bands.items()) or "no bands"
        return (
            f"{path.name}: instrument {inst.name}, {len(inst.item_columns())} item columns, "
            f"{len(inst.scores)} scores ({banded})"
        )
    if isinstance(doc, dict) and "links" in doc:
        crosswalk = parse_crosswalk(doc, path)
        return (
            f"{path.name}: evidence crosswalk, {len(crosswalk.links)} links between "
            f"{', '.join(crosswalk.frameworks())}; thin evidence under {crosswalk.thin_evidence_words} words"
        )
    if isinstance(doc, dict) and "categories" in doc:
        terms = parse_safeguarding(doc, path)
        return f"{path.name}: safeguarding list, {len(terms.categories)} categories, {terms.terms} terms"
    if isinstance(doc, dict) and "principles" in doc:
        fw = parse_framework(doc, path)
        levels = f"{len(fw.levels)} levels" if fw.levels else "checklist, no award levels"
        return (
            f"{path.name}: {fw.name}, {len(fw.principles)} {fw.section_label.lower()}s, "
            f"{len(fw.element_ids)} elements, {levels}"
        )
    if isinstance(doc, dict) and "surveys" in doc and "framework" in doc:
        if doc["framework"] not in available_frameworks():
            raise DataFileError(
                path.name,
                "framework",
                f"unknown framework {doc['framework']!r} (bundled: "
                f"{', '.join(available_frameworks())}); map a custom framework inside its "
                f"own file under survey_mapping:",
            )
        fw = load_framework(doc["framework"])
        mapping = parse_mapping(doc, path, fw, load_question_bank())
        n = sum(len(items) for items in mapping.surveys.values())
        return f"{path.name}: survey mapping for {fw.id}, {len(mapping.surveys)} surveys, {n} items"
    if isinstance(doc, dict) and "surveys" in doc:
        bank = parse_question_bank(doc, path)
        n = sum(len(s.items) for s in bank.surveys.values())
        return f"{path.name}: question bank, {len(bank.surveys)} surveys, {n} items"
    scales = parse_scales(doc, path)
    return f"{path.name}: {len(scales)} scales"

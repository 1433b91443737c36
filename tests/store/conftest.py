"""Shared data of the store tests: a small valid folder in the CSV exchange format."""

from pathlib import Path

#: A small valid folder in the CSV exchange format.
MINIMAL = {
    "schools.csv": "school_id,name,phase,trust,local_authority,pupils\n"
    "S1,Test Primary,primary,Test Trust,Testshire,200\n"
    "S2,Test Academy,secondary,Test Trust,Testshire,900\n",
    "cycles.csv": "school_id,framework,academic_year\nS1,wqm,2024-25\nS2,wqm,2024-25\n",
    "sef_ratings.csv": "school_id,framework,academic_year,element_id,rating,evidence,recorded_by,recorded_at\n"
    "S1,wqm,2024-25,P1.1,3,Policy,Head,2024-11-01T09:00:00\n"
    "S1,wqm,2024-25,P1.2,2,Plan,Head,2024-11-01T09:00:00\n",
    "adviser_notes.csv": "school_id,framework,academic_year,principle_id,author,note,created_at\n"
    "S1,wqm,2024-25,P1,Adviser,Visit went well,2024-12-01T10:00:00\n"
    "S2,wqm,2024-25,,Adviser,First visit,2024-12-02T10:00:00\n",
    "staff_survey.csv": "school_id,academic_year,respondent,role,S01,S02\n"
    "S1,2024-25,s1,teaching,4,5\n"
    "S1,2024-25,s2,support,3,\n",
}


def write_folder(folder: Path, **overrides: str) -> Path:
    """A small valid folder in the CSV exchange format, with some files replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**MINIMAL, **overrides}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder

"""Seeded generator of a sample trust: schools, WQM self-evaluations, adviser
notes and staff, pupil and parent survey responses over three academic years;
in the latest year also Leadership and Management checklists for every school
and VbE Quality Mark self-evaluations (with their reflections) for some; and
staff audits (docs/staff-audit.md) for some schools and years, so a report
shows an audit, a suppressed audit ("fewer than 5 responses") and none.

Uses :mod:`random` (its sequences are stable across Python versions) and the
:mod:`csv` module, so the same seed writes byte-identical files; the committed
``sample_data/`` is checked against a fresh run in the tests.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from .data import Framework, QuestionBank, load_framework, load_mapping, load_question_bank
from .spreadsheet import write_csv
from .store import CSV_FILES, SURVEY_CSV, SURVEY_ID_COLUMNS

SAMPLE_SEED = 20261125
TRUST = "Northbrook Learning Trust"
YEARS = ("2023-24", "2024-25", "2025-26")


@dataclass(frozen=True)
class SampleSchool:
    school_id: str
    name: str
    phase: str
    pupils: int
    strength: float            # typical maturity in the first year (1-4)
    growth: float              # maturity gained per year
    floor: int = 1             # lowest rating the school gives itself
    parent_bias: float = 0.0   # parents' view relative to the school's own
    parents: tuple[int, ...] | None = None   # fixed parent response counts per year


SCHOOLS = (
    SampleSchool("NLT01", "Ashgrove Primary School", "primary", 420, 3.6, 0.15, floor=3),
    SampleSchool("NLT02", "Beckside Primary School", "primary", 210, 2.2, 0.4),
    SampleSchool("NLT03", "Fellside Primary School", "primary", 84, 2.0, 0.3, parents=(4, 7, 3)),
    SampleSchool("NLT04", "Kingsmead Primary Academy", "primary", 630, 2.7, 0.3, floor=2),
    SampleSchool("NLT05", "Larkspur Primary School", "primary", 315, 1.7, 0.45),
    SampleSchool("NLT06", "Northbrook Academy", "secondary", 1150, 2.4, 0.35),
    SampleSchool("NLT07", "St Aidan's High School", "secondary", 890, 3.0, 0.25, floor=2, parent_bias=-0.6),
)

EVIDENCE = {
    "P1": ["Whole school wellbeing strategy", "School improvement plan wellbeing priority",
           "Staff wellbeing charter and workload review", "Learning walk notes on classroom climate",
           "Early help log"],
    "P2": ["School council minutes", "Peer mentoring programme records", "Parent forum minutes",
           "Family learning sessions register"],
    "P3": ["INSET agenda on risk and resilience", "CPD log", "Transition programme evaluation",
           "Staff briefing on adolescent development"],
    "P4": ["PSHE scheme of work", "Programme leads' action plans", "Lesson observations of SEL teaching"],
    "P5": ["Behaviour and anti-bullying policies reviewed with pupils", "Safeguarding policy and audit"],
    "P6": ["Relational behaviour policy", "Behaviour incident analysis", "Restorative practice training record"],
    "P7": ["CAMHS referral pathway", "Targeted intervention tracker", "Nurture group evaluation",
           "School counsellor caseload summary"],
}
STAGE_NOTE = {
    1: "Current practice mapped; priorities not yet agreed.",
    2: "Shared understanding agreed; plan in draft.",
    3: "Action plan with named leads being implemented.",
    4: "Embedded; impact evaluated and reviewed termly.",
}
ROLES = (("teaching", 0.6), ("support", 0.32), ("leadership", 0.08))
YEAR_GROUPS = {"primary": ("Y4", "Y5", "Y6"), "secondary": ("Y7", "Y8", "Y9", "Y10", "Y11")}
CONSULTANT = "A. Rahman (WQM consultant)"
#: Staff audits: school -> year -> respondents (None: the whole staff, as on an INSET day). Beckside
#: has run none; Larkspur's is four senior leaders trying it out, below the reporting minimum.
AUDITS = {"NLT01": {"2024-25": None, "2025-26": None}, "NLT03": {"2025-26": None}, "NLT04": {"2025-26": None},
          "NLT05": {"2025-26": 4}, "NLT06": {"2024-25": None, "2025-26": None}, "NLT07": {"2025-26": None}}
AUDIT_SURVEY = "staff_audit"
#: Staff rate their school a little below the leaders' own self-evaluation, on average.
AUDIT_BIAS = -0.25


def _clamp(value: float, lo: int, hi: int) -> int:
    return max(lo, min(hi, int(round(value))))


def _date(year: str, month: int, day: int) -> str:
    start = int(year[:4])
    return f"{start if month >= 9 else start + 1}-{month:02d}-{day:02d}"


def generate(seed: int = SAMPLE_SEED, framework: Framework | None = None,
             bank: QuestionBank | None = None) -> dict[str, list[dict]]:
    """Rows for every CSV file of the exchange format, keyed by file name."""
    fw = framework or load_framework("wqm")
    bank = bank or load_question_bank()
    rng = random.Random(seed)
    files: dict[str, list[dict]] = {name: [] for name, _ in CSV_FILES.values()}
    for survey in bank.surveys:
        files[SURVEY_CSV.format(survey=survey)] = []

    sef_means: dict[tuple[str, str], dict[str, float]] = {}
    for school in SCHOOLS:
        files["schools.csv"].append(dict(school_id=school.school_id, name=school.name, phase=school.phase,
                                         trust=TRUST, local_authority="Northbrook", pupils=school.pupils))
        base = {p.id: school.strength + rng.uniform(-0.45, 0.45) for p in fw.principles}
        survey_bias = rng.uniform(-0.25, 0.25)
        for y, year in enumerate(YEARS):
            files["cycles.csv"].append(dict(school_id=school.school_id, framework=fw.id, academic_year=year))
            principle_means = {}
            for p in fw.principles:
                ratings = []
                for k, element in enumerate(p.elements):
                    level = base[p.id] + school.growth * y + rng.gauss(0, 0.4)
                    rating = _clamp(level, school.floor, fw.scale.max)
                    ratings.append(rating)
                    evidence = ""
                    if rating > 1 or rng.random() < 0.5:
                        sources = rng.sample(EVIDENCE[p.id], k=min(len(EVIDENCE[p.id]), 1 + (rating >= 3)))
                        evidence = "; ".join(sources) + ". " + STAGE_NOTE[rating]
                    day = 1 + (k * 3 + int(p.id[1:]) * 2) % 27
                    if rating > school.floor and rng.random() < 0.12:
                        # an earlier draft rating, revised later: shows the history
                        files["sef_ratings.csv"].append(dict(
                            school_id=school.school_id, framework=fw.id, academic_year=year,
                            element_id=element.id, rating=rating - 1, evidence=evidence,
                            recorded_by="Headteacher", recorded_at=_date(year, 11, day) + "T16:00:00"))
                    files["sef_ratings.csv"].append(dict(
                        school_id=school.school_id, framework=fw.id, academic_year=year,
                        element_id=element.id, rating=rating, evidence=evidence,
                        recorded_by="Wellbeing lead", recorded_at=_date(year, 3, day) + "T15:30:00"))
                principle_means[p.id] = sum(ratings) / len(ratings)
            sef_means[(school.school_id, year)] = principle_means

            _survey_rows(rng, files, bank, school, y, year, principle_means, survey_bias)

            ranked = sorted(principle_means, key=lambda pid: (principle_means[pid], pid))
            weak, strong = fw.principle(ranked[0]), fw.principle(ranked[-1])
            files["adviser_notes.csv"].append(dict(
                school_id=school.school_id, framework=fw.id, academic_year=year, principle_id="",
                author=CONSULTANT, created_at=_date(year, 2, 10 + y) + "T11:00:00",
                note=f"Audit visit: SLT and staff reviewed the self-evaluation. Strongest evidence under "
                     f"'{strong.name}'; '{weak.name}' agreed as the priority for the improvement plan."))
            files["adviser_notes.csv"].append(dict(
                school_id=school.school_id, framework=fw.id, academic_year=year, principle_id=weak.id,
                author=CONSULTANT, created_at=_date(year, 5, 20 - y) + "T14:00:00",
                note=f"Follow-up: agreed next steps for '{weak.name}'; "
                     f"{rng.choice(EVIDENCE[weak.id]).lower()} to be reviewed at the next visit."))
    _other_frameworks(random.Random(seed + 1), files)
    _staff_audits(random.Random(seed + 2), files, bank, sef_means)
    return files


# VbE Quality Mark self-evaluations in the latest year, and how much of the
# assessment's final part (reflections) each school has written so far.
VBE_SCHOOLS = {"NLT01": ("stand_out", "next_steps", "conclusion"), "NLT02": ("stand_out",), "NLT06": ()}
VBE_EVIDENCE = {
    "A1": "Values assemblies and wellbeing check-ins recorded weekly",
    "A2": "Leadership team models the values in staff briefings and appraisal",
    "A3": "Restorative conversations framed by the school's values",
    "A4": "Values vocabulary planned into every unit of work",
    "A5": "Daily reflection time; pupils' reflection journals",
    "A6": "Pupil-led community projects putting the values into action",
}
REFLECTIONS = {
    "stand_out": ("Headteacher", "Reflection: every class begins the day with a short, calm reflection "
                                 "on the value of the month, and pupils lead it."),
    "next_steps": (CONSULTANT, "Extend values-based language into written feedback, and involve parents "
                               "in the choice of next year's values."),
    "conclusion": (CONSULTANT, "The school meets the conditions of the Quality Mark: values are lived "
                               "by pupils and adults alike and are visible across the curriculum."),
}
LM_EVIDENCE = ["Wellbeing mission statement agreed with governors", "Wellbeing Action Group minutes",
               "Wellbeing policy review", "Lead governor for wellbeing appointed", "CPD log for wellbeing champions"]


def _other_frameworks(rng: random.Random, files: dict[str, list[dict]]) -> None:
    """Latest-year VbE and Leadership and Management self-evaluations."""
    year = YEARS[-1]
    vbe, lm = load_framework("vbe"), load_framework("leadership_management")
    for school in SCHOOLS:
        for fw, rated in ((lm, True), (vbe, school.school_id in VBE_SCHOOLS)):
            if not rated:
                continue
            files["cycles.csv"].append(dict(school_id=school.school_id, framework=fw.id, academic_year=year))
            for k, (p, element) in enumerate(fw.elements):
                level = school.strength + school.growth * 2 + rng.gauss(0, 0.5)
                rating = _clamp(level * fw.scale.max / 4, fw.scale.min, fw.scale.max)
                evidence = (VBE_EVIDENCE.get(p.id, "") if fw is vbe else rng.choice(LM_EVIDENCE)) \
                    if rating > fw.scale.min else ""
                files["sef_ratings.csv"].append(dict(
                    school_id=school.school_id, framework=fw.id, academic_year=year, element_id=element.id,
                    rating=rating, evidence=evidence, recorded_by="Headteacher",
                    recorded_at=_date(year, 4, 1 + k) + "T10:00:00"))
        for reflection in VBE_SCHOOLS.get(school.school_id, ()):
            author, text = REFLECTIONS[reflection]
            files["reflections.csv"].append(dict(
                school_id=school.school_id, framework=vbe.id, academic_year=year, reflection_id=reflection,
                text=text, author=author, recorded_at=_date(year, 6, 10) + "T12:00:00"))


def _respondent_count(rng: random.Random, survey: str, school: SampleSchool, y: int) -> int:
    if survey == "staff":
        return max(6, school.pupils // 16 + rng.randint(-3, 3))
    if survey == "pupil":
        share = 0.3 if school.phase == "primary" else 0.15
        return min(180, int(school.pupils * share) + rng.randint(-5, 5))
    if school.parents is not None:
        return school.parents[y]
    return max(5, int(school.pupils * 0.12) + rng.randint(-6, 6))


def _role(rng: random.Random) -> str:
    roll, acc = rng.random(), 0.0
    for role, share in ROLES:
        acc += share
        if roll < acc:
            return role
    return ROLES[-1][0]


def _staff_audits(rng: random.Random, files: dict[str, list[dict]], bank: QuestionBank,
                  sef_means: dict[tuple[str, str], dict[str, float]]) -> None:
    """Staff audits (:data:`AUDITS`): each member of staff rates each framing principle on the maturity
    scale, near the school's own self-evaluation of it that year, a little lower, with each person's and
    each answer's own spread."""
    if AUDIT_SURVEY not in bank.surveys:
        return
    survey = bank.surveys[AUDIT_SURVEY]
    scale = bank.scale_of(AUDIT_SURVEY)
    sections = load_mapping(load_framework("wqm"), bank).item_sections()
    for school in SCHOOLS:
        for year, count in AUDITS.get(school.school_id, {}).items():
            n = count if count is not None else max(6, school.pupils // 18 + rng.randint(-2, 2))
            means = sef_means[(school.school_id, year)]
            for i in range(n):
                row = dict(school_id=school.school_id, academic_year=year, respondent=f"a{i + 1:04d}",
                           role=_role(rng))
                person = rng.gauss(0, 0.45)
                for item in survey.items:
                    if rng.random() < 0.03:
                        row[item.id] = ""
                        continue
                    latent = means[sections[(AUDIT_SURVEY, item.id)]] + AUDIT_BIAS + person + rng.gauss(0, 0.5)
                    row[item.id] = _clamp(latent, scale.min, scale.max)
                files[SURVEY_CSV.format(survey=AUDIT_SURVEY)].append(row)


def _survey_rows(rng, files, bank, school, y, year, principle_means, survey_bias):
    sections = load_mapping(load_framework("wqm"), bank).item_sections()
    for survey_id, survey in bank.surveys.items():
        if survey.measure != "agreement":    # the staff audit: _staff_audits
            continue
        n = _respondent_count(rng, survey_id, school, y)
        bias = survey_bias + (school.parent_bias if survey_id == "parent" else 0.0)
        for i in range(n):
            row = dict(school_id=school.school_id, academic_year=year, respondent=f"{survey_id[0]}{i + 1:04d}")
            if survey.subgroup and survey_id == "staff":
                roll, acc = rng.random(), 0.0
                row["role"] = ROLES[-1][0]
                for role, share in ROLES:
                    acc += share
                    if roll < acc:
                        row["role"] = role
                        break
            elif survey.subgroup and survey_id == "pupil":   # the sample parents were not asked
                row[survey.subgroup.field] = rng.choice(YEAR_GROUPS[school.phase])
            person = rng.gauss(0, 0.5)
            for item in survey.items:
                if rng.random() < 0.04:
                    row[item.id] = ""
                    continue
                latent = 1.9 + 0.75 * principle_means[sections[(survey_id, item.id)]] + bias + person + rng.gauss(0, 0.7)
                row[item.id] = _clamp(latent, bank.likert_values[0], bank.likert_values[-1])
            files[SURVEY_CSV.format(survey=survey_id)].append(row)


def columns(bank: QuestionBank | None = None) -> dict[str, list[str]]:
    """Column order of every CSV file."""
    bank = bank or load_question_bank()
    cols = {name: list(cols) for name, cols in CSV_FILES.values()}
    for survey_id, survey in bank.surveys.items():
        sub = [survey.subgroup.field] if survey.subgroup and survey_id != "parent" else []
        cols[SURVEY_CSV.format(survey=survey_id)] = [*SURVEY_ID_COLUMNS, *sub, *survey.item_ids]
    return cols


def write_sample(out_dir: str | Path, seed: int = SAMPLE_SEED) -> list[Path]:
    """Generate the sample trust and write its CSV files to ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = generate(seed)
    written = []
    for name, cols in columns().items():
        path = out_dir / name
        written.append(write_csv(path, cols, ([row.get(c, "") for c in cols] for row in files[name])))
    return written

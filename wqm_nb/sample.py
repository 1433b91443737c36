"""Seeded generator of a sample trust: schools, WQM self-evaluations, adviser
notes and staff, pupil and parent survey responses over three academic years;
Leadership and Management checklists for every school in the latest year and
VbE Quality Mark self-evaluations (with their reflections) for some; staff
audits (docs/staff-audit.md) for some schools and years, so a report shows an
audit, a suppressed audit ("fewer than 5 responses") and none.

So that every decision section of a report shows something real, some schools
carry a story (:data:`SCENARIOS`, :data:`AWARD_DECISIONS`, :func:`_targets`,
:data:`SORTING_SCHOOLS`):

* Kingsmead (NLT04) has a **blind spot**: its leaders rate behaviour (P6) at
  the top of the scale while staff, pupils and parents agree far less;
* Northbrook Academy (NLT06) is **declining**: stakeholder agreement falls
  year on year (every group well over 30 respondents, so the change is
  called) while its self-rating of P1 and P3 rises (the governance early
  warning); its VbE self-evaluation started a year earlier than the others';
* Larkspur (NLT05) has a **hidden strength**: stakeholders rate its curriculum
  work (P4) well above its leaders' modest self-rating;
* Ashgrove (NLT01) is a **Beacon candidate**: Approved, then Champion three
  academic years before the latest year (``award_decisions.csv``), with strong
  ratings, evidence everywhere and high agreement;
* targets (``targets.csv``) are set, carried into the next year with their id
  and progress (open, in progress, achieved; some dropped); some schools sort
  their elements with the NCB tool (``sorting``: doing now, want to do, not
  for us);
* evidence shows the crosswalk (``wqm_nb/data/crosswalk.yaml``): Ashgrove's
  VbE evidence is full, Beckside's thin, and Northbrook Academy leaves two
  VbE aspects without evidence of their own that its WQM evidence covers;
  Oakfield leaves one WQM element to its checklist evidence and one with none;
* Oakfield (NLT08) is also a sixth primary school, so each primary has the
  five other schools of its phase a portfolio median needs;
* validated wellbeing measures (:data:`MEASURES`): the secondaries' pupils
  (Y7 to Y11) and some schools' staff answer SWEMWBS, some primaries' pupils
  the Stirling scale, in some years. The answers are generated per item and
  scored by :func:`wqm_nb.model.scoring.score_responses`; the survey files
  carry the scores (``swemwbs.raw``, ``swemwbs.metric``, ``stirling.total``),
  as the exchange format does. Northbrook Academy's pupils' wellbeing falls
  clearly from 2024-25 to 2025-26 (the intervals do not overlap) and St
  Aidan's rises; Kingsmead's staff and Ashgrove's and Kingsmead's pupils show
  no clear change; Fellside's groups are below the minimum for comparison
  (30), and its staff few enough to be suppressed by role.

Uses :mod:`random` (its sequences are stable across Python versions) and the
:mod:`csv` module, so the same seed writes byte-identical files; the committed
``sample_data/`` is checked against a fresh run in the tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from .data import Framework, QuestionBank, load_framework, load_instrument, load_mapping, load_question_bank
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
    strength: float  # typical maturity in the first year (1-4)
    growth: float  # maturity gained per year
    floor: int = 1  # lowest rating the school gives itself
    parent_bias: float = 0.0  # parents' view relative to the school's own
    parents: tuple[int, ...] | None = None  # fixed parent response counts per year
    staff: int | None = None  # staff on roll (default: about one per 16 pupils)


@dataclass(frozen=True)
class Scenario:
    """A school's story, year by year (one value per year of :data:`YEARS`).

    ``self_lift``: principle -> what the leaders add to their own rating of it
    (stakeholders do not see it: their answers follow the rating without it).
    ``voice``: principle (``*`` for every one) -> what is added to every
    stakeholder's answers on the items of that principle (on the 1-5 scale,
    before rounding).
    """

    self_lift: dict[str, tuple[float, ...]] = field(default_factory=dict)
    voice: dict[str, tuple[float, ...]] = field(default_factory=dict)

    def lift(self, principle_id: str, y: int) -> float:
        """What the leaders add to their rating of ``principle_id`` in year number ``y``."""
        return self.self_lift.get(principle_id, (0.0,) * len(YEARS))[y]

    def shift(self, principle_id: str, y: int) -> float:
        """What is added to stakeholders' answers on ``principle_id``'s items in year number ``y``."""
        return self.voice.get("*", (0.0,) * len(YEARS))[y] + self.voice.get(principle_id, (0.0,) * len(YEARS))[y]


SCHOOLS = (
    SampleSchool("NLT01", "Ashgrove Primary School", "primary", 420, 3.6, 0.15, floor=3),
    SampleSchool("NLT02", "Beckside Primary School", "primary", 210, 2.2, 0.4),
    SampleSchool("NLT03", "Fellside Primary School", "primary", 84, 2.0, 0.3, parents=(4, 7, 3)),
    SampleSchool("NLT04", "Kingsmead Primary Academy", "primary", 630, 2.7, 0.3, floor=2),
    SampleSchool("NLT05", "Larkspur Primary School", "primary", 315, 1.7, 0.45),
    SampleSchool("NLT06", "Northbrook Academy", "secondary", 1150, 2.4, 0.35),
    SampleSchool("NLT07", "St Aidan's High School", "secondary", 890, 3.0, 0.25, floor=2, parent_bias=-0.6),
    # a sixth primary school: each primary then has five others, enough for a portfolio median
    SampleSchool("NLT08", "Oakfield Primary School", "primary", 260, 2.5, 0.25),
)
SCENARIOS = {
    # Beacon candidate: stakeholders agree a little more than its ratings alone suggest
    "NLT01": Scenario(voice={"*": (0.1, 0.1, 0.1)}),
    # blind spot: leaders rate behaviour (P6) near the top; stakeholders agree far less
    "NLT04": Scenario(self_lift={"P6": (1.0, 1.2, 1.4)}, voice={"P6": (-0.8, -0.9, -1.0)}),
    # hidden strength: stakeholders value the curriculum work (P4) far more than its modest leaders rate it
    "NLT05": Scenario(voice={"P4": (0.6, 0.8, 1.0)}),
    # declining: agreement falls every year while the self-rating of P1 and P3 rises
    "NLT06": Scenario(self_lift={"P1": (0.0, 0.5, 1.1), "P3": (0.0, 0.5, 1.0)}, voice={"*": (0.3, -0.2, -0.7)}),
}
NO_SCENARIO = Scenario()

EVIDENCE = {
    "P1": [
        "Whole school wellbeing strategy",
        "School improvement plan wellbeing priority",
        "Staff wellbeing charter and workload review",
        "Learning walk notes on classroom climate",
        "Early help log",
    ],
    "P2": [
        "School council minutes",
        "Peer mentoring programme records",
        "Parent forum minutes",
        "Family learning sessions register",
    ],
    "P3": [
        "INSET agenda on risk and resilience",
        "CPD log",
        "Transition programme evaluation",
        "Staff briefing on adolescent development",
    ],
    "P4": ["PSHE scheme of work", "Programme leads' action plans", "Lesson observations of SEL teaching"],
    "P5": ["Behaviour and anti-bullying policies reviewed with pupils", "Safeguarding policy and audit"],
    "P6": ["Relational behaviour policy", "Behaviour incident analysis", "Restorative practice training record"],
    "P7": [
        "CAMHS referral pathway",
        "Targeted intervention tracker",
        "Nurture group evaluation",
        "School counsellor caseload summary",
    ],
}
#: WQM elements a school rated but left without evidence that year: Oakfield's CAMHS pathway (P7.3) is
#: evidenced only under its Leadership and Management checklist (LM.7, through the crosswalk); its long-term
#: approach (P1.5) has no evidence anywhere.
EVIDENCE_GAPS = {("NLT08", "2025-26"): ("P1.5", "P7.3")}
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
AUDITS: dict[str, dict[str, int | None]] = {
    "NLT01": {"2024-25": None, "2025-26": None},
    "NLT03": {"2025-26": None},
    "NLT04": {"2025-26": None},
    "NLT05": {"2025-26": 4},
    "NLT06": {"2024-25": None, "2025-26": None},
    "NLT07": {"2025-26": None},
}
AUDIT_SURVEY = "staff_audit"
#: Staff rate their school a little below the leaders' own self-evaluation, on average.
AUDIT_BIAS = -0.25


def _clamp(value: float, lo: int, hi: int) -> int:
    return max(lo, min(hi, int(round(value))))


def _date(year: str, month: int, day: int) -> str:
    start = int(year[:4])
    return f"{start if month >= 9 else start + 1}-{month:02d}-{day:02d}"


PLACES = (
    "Alder",
    "Birch",
    "Cedar",
    "Dale",
    "Elm",
    "Fern",
    "Glen",
    "Hazel",
    "Ivy",
    "Juniper",
    "Kestrel",
    "Linden",
    "Maple",
    "Nettle",
    "Oak",
    "Pine",
    "Quarry",
    "Rowan",
    "Sorrel",
    "Thorn",
    "Upton",
    "Vale",
    "Willow",
    "Yew",
)
KINDS = {
    "primary": ("Primary School", "Primary Academy", "Infant and Junior School"),
    "secondary": ("High School", "Academy", "Community College"),
}


def trust_schools(count: int, seed: int = SAMPLE_SEED) -> tuple[SampleSchool, ...]:
    """``count`` schools for a sample trust: the committed sample's schools first, then seeded ones of
    realistic size (primaries of 150-450 pupils and 20-45 staff, secondaries of 800-1,600 pupils and
    70-120 staff; about one in four a secondary)."""
    if count < 1:
        raise ValueError("a sample trust needs at least one school")
    schools = list(SCHOOLS[:count])
    rng = random.Random(seed * 7919 + count)
    for k in range(len(schools) + 1, count + 1):
        phase = "secondary" if rng.random() < 0.25 else "primary"
        pupils = rng.randint(800, 1600) if phase == "secondary" else rng.randint(150, 450)
        staff = rng.randint(70, 120) if phase == "secondary" else rng.randint(20, 45)
        name = (
            f"{PLACES[(k - 1) % len(PLACES)]}{'' if k <= len(PLACES) else f' {(k - 1) // len(PLACES) + 1}'} "
            f"{rng.choice(KINDS[phase])}"
        )
        schools.append(
            SampleSchool(
                f"NLT{k:02d}" if k < 100 else f"NLT{k}",
                name,
                phase,
                pupils,
                strength=rng.uniform(1.6, 3.4),
                growth=rng.uniform(0.1, 0.45),
                floor=rng.choice((1, 1, 2)),
                parent_bias=rng.uniform(-0.4, 0.2),
                staff=staff,
            )
        )
    return tuple(schools)


def generate(
    seed: int = SAMPLE_SEED,
    framework: Framework | None = None,
    bank: QuestionBank | None = None,
    schools: tuple[SampleSchool, ...] | None = None,
) -> dict[str, list[dict]]:
    """Rows for every CSV file of the exchange format, keyed by file name (``schools``: the committed
    sample's eight unless given, e.g. by :func:`trust_schools`)."""
    schools = SCHOOLS if schools is None else schools
    ids = {s.school_id for s in schools}
    fw = framework or load_framework("wqm")
    bank = bank or load_question_bank()
    rng = random.Random(seed)
    files: dict[str, list[dict]] = {name: [] for name, _ in CSV_FILES.values()}
    for survey in bank.surveys:
        files[SURVEY_CSV.format(survey=survey)] = []

    # (school, year) -> principle -> the mean maturity staff, pupils and parents experience (the leaders'
    # own rating without a scenario's self_lift): the surveys and staff audits follow it
    true_means: dict[tuple[str, str], dict[str, float]] = {}
    for school in schools:
        scenario = SCENARIOS.get(school.school_id, NO_SCENARIO)
        files["schools.csv"].append(
            dict(
                school_id=school.school_id,
                name=school.name,
                phase=school.phase,
                trust=TRUST,
                local_authority="Northbrook",
                pupils=school.pupils,
            )
        )
        base = {p.id: school.strength + rng.uniform(-0.45, 0.45) for p in fw.principles}
        survey_bias = rng.uniform(-0.25, 0.25)
        for y, year in enumerate(YEARS):
            files["cycles.csv"].append(dict(school_id=school.school_id, framework=fw.id, academic_year=year))
            principle_means, experienced = {}, {}
            for p in fw.principles:
                ratings, unlifted = [], []
                for k, element in enumerate(p.elements):
                    level = base[p.id] + school.growth * y + rng.gauss(0, 0.4)
                    rating = _clamp(level + scenario.lift(p.id, y), school.floor, fw.scale.max)
                    ratings.append(rating)
                    unlifted.append(_clamp(level, school.floor, fw.scale.max))
                    evidence = ""
                    if rating > 1 or rng.random() < 0.5:
                        sources = rng.sample(EVIDENCE[p.id], k=min(len(EVIDENCE[p.id]), 1 + (rating >= 3)))
                        evidence = "; ".join(sources) + ". " + STAGE_NOTE[rating]
                    day = 1 + (k * 3 + int(p.id[1:]) * 2) % 27
                    if rating > school.floor and rng.random() < 0.12:
                        # an earlier draft rating, revised later: shows the history
                        files["sef_ratings.csv"].append(
                            dict(
                                school_id=school.school_id,
                                framework=fw.id,
                                academic_year=year,
                                element_id=element.id,
                                rating=rating - 1,
                                evidence=evidence,
                                recorded_by="Headteacher",
                                recorded_at=_date(year, 11, day) + "T16:00:00",
                            )
                        )
                    files["sef_ratings.csv"].append(
                        dict(
                            school_id=school.school_id,
                            framework=fw.id,
                            academic_year=year,
                            element_id=element.id,
                            rating=rating,
                            evidence=evidence,
                            recorded_by="Wellbeing lead",
                            recorded_at=_date(year, 3, day) + "T15:30:00",
                        )
                    )
                principle_means[p.id] = sum(ratings) / len(ratings)
                experienced[p.id] = sum(unlifted) / len(unlifted)
            true_means[(school.school_id, year)] = experienced

            _survey_rows(
                rng,
                files,
                bank,
                school,
                y,
                year,
                experienced,
                survey_bias,
                {p.id: scenario.shift(p.id, y) for p in fw.principles},
            )

            ranked = sorted(principle_means, key=lambda pid: (principle_means[pid], pid))
            weak, strong = fw.principle(ranked[0]), fw.principle(ranked[-1])
            files["adviser_notes.csv"].append(
                dict(
                    school_id=school.school_id,
                    framework=fw.id,
                    academic_year=year,
                    principle_id="",
                    author=CONSULTANT,
                    created_at=_date(year, 2, 10 + y) + "T11:00:00",
                    note=f"Audit visit: SLT and staff reviewed the self-evaluation. Strongest evidence under "
                    f"'{strong.name}'; '{weak.name}' agreed as the priority for the improvement plan.",
                )
            )
            files["adviser_notes.csv"].append(
                dict(
                    school_id=school.school_id,
                    framework=fw.id,
                    academic_year=year,
                    principle_id=weak.id,
                    author=CONSULTANT,
                    created_at=_date(year, 5, 20 - y) + "T14:00:00",
                    note=f"Follow-up: agreed next steps for '{weak.name}'; "
                    f"{rng.choice(EVIDENCE[weak.id]).lower()} to be reviewed at the next visit.",
                )
            )
    for row in files["sef_ratings.csv"]:
        if row["element_id"] in EVIDENCE_GAPS.get((row["school_id"], row["academic_year"]), ()):
            row["evidence"] = ""
    _other_frameworks(random.Random(seed + 1), files, schools)
    _staff_audits(random.Random(seed + 2), files, bank, true_means, schools)
    _sortings(random.Random(seed + 3), files)
    _targets(random.Random(seed + 4), files, fw, true_means, ids)
    _measures(random.Random(seed + 5), files, true_means, ids)
    files[AWARD_DECISIONS_CSV] = [
        dict(zip(AWARD_DECISION_COLUMNS, row, strict=False), recorded_by=row[5], recorded_at=row[4] + "T17:00:00")
        for row in AWARD_DECISIONS
        if row[0] in ids
    ]
    return files


# VbE Quality Mark self-evaluations in the latest year (Northbrook Academy's from the year before), and how
# much of the assessment's final part (reflections) each school has written so far.
VBE_SCHOOLS = {"NLT01": ("stand_out", "next_steps", "conclusion"), "NLT02": ("stand_out",), "NLT06": ()}
VBE_YEARS = {"NLT06": YEARS[-2:]}
#: How each VbE school writes its evidence: "full" (a paragraph per aspect), "thin" (a title) or, for
#: Northbrook Academy, full except for two aspects it rated without evidence, which its WQM evidence covers
#: through the crosswalk (A1.1 <- P1.2, P1.6; A4.1 <- P4.2).
VBE_EVIDENCE_STYLE = {"NLT01": "full", "NLT02": "thin", "NLT06": "gaps"}
VBE_GAPS = ("A1", "A4")
VBE_EVIDENCE = {
    "A1": "Values assemblies and wellbeing check-ins recorded weekly",
    "A2": "Leadership team models the values in staff briefings and appraisal",
    "A3": "Restorative conversations framed by the school's values",
    "A4": "Values vocabulary planned into every unit of work",
    "A5": "Daily reflection time; pupils' reflection journals",
    "A6": "Pupil-led community projects putting the values into action",
}
VBE_EVIDENCE_FULL = {
    "A1": "Weekly values assemblies and class wellbeing check-ins; the staff wellbeing survey rose after the "
    "workload review, and pupils name a trusted adult in every class.",
    "A2": "Leaders model the values in briefings and appraisal; staff say in the survey that leaders consider "
    "their wellbeing and workload when planning change.",
    "A3": "Restorative conversations framed by the values; behaviour logs show fewer repeat incidents and "
    "pupils resolve most disagreements themselves.",
    "A4": "Values vocabulary planned into every unit of work and used in feedback; lesson visits find pupils "
    "explaining their learning through the values.",
    "A5": "Daily reflection time led by pupils; reflection journals show pupils linking the value of the "
    "month to their own choices at home and school.",
    "A6": "Pupil-led community projects (food bank, reading buddies, litter picks) chosen by the school "
    "council and reported to parents each term.",
}
REFLECTIONS = {
    "stand_out": (
        "Headteacher",
        "Reflection: every class begins the day with a short, calm reflection "
        "on the value of the month, and pupils lead it.",
    ),
    "next_steps": (
        CONSULTANT,
        "Extend values-based language into written feedback, and involve parents in the choice of next year's values.",
    ),
    "conclusion": (
        CONSULTANT,
        "The school meets the conditions of the Quality Mark: values are lived "
        "by pupils and adults alike and are visible across the curriculum.",
    ),
}
#: Leadership and Management evidence per checklist item: a full sentence, or just a document's title.
LM_EVIDENCE = {
    "LM.1": (
        "Headteacher and SLT protect two meeting-free afternoons a term; staff wellbeing is a standing "
        "item in SLT minutes and the workload survey is acted on.",
        "Staff wellbeing charter",
    ),
    "LM.2": (
        "Wellbeing mission statement written with staff, pupils and governors at a workshop and shared "
        "in the prospectus and on every classroom door.",
        "Wellbeing mission statement",
    ),
    "LM.3": (
        "Wellbeing Action Group of staff, pupils and parents meets half-termly; its minutes record the "
        "policies it reviewed and the changes it led.",
        "Wellbeing Action Group minutes",
    ),
    "LM.4": (
        "Safeguarding, PSHE, behaviour and anti-bullying policies rewritten with wellbeing at the centre "
        "and reviewed with the pupil council.",
        "Wellbeing policy review",
    ),
    "LM.5": (
        "Curriculum map shows where wellbeing is taught in each year group; PSHE lead audits coverage "
        "each summer and reports to governors.",
        "Curriculum map",
    ),
    "LM.6": (
        "Lead governor for wellbeing appointed; visits termly, meets the Wellbeing Action Group and "
        "reports to the full governing board.",
        "Lead governor appointed",
    ),
    "LM.7": (
        "Designated mental health lead keeps the local CAMHS, school nursing and counselling pathways "
        "current and briefs staff on referral each September.",
        "CAMHS contacts list",
    ),
    "LM.8": (
        "Wellbeing champions attended emotion coaching and Youth Mental Health First Aid training; "
        "they cascaded it at the spring INSET day.",
        "CPD log for wellbeing champions",
    ),
}
#: Schools whose Leadership and Management evidence is full sentences; the others write titles.
LM_FULL_EVIDENCE = ("NLT01", "NLT04", "NLT07")


def _other_frameworks(
    rng: random.Random, files: dict[str, list[dict]], schools: tuple[SampleSchool, ...] = SCHOOLS
) -> None:
    """VbE and Leadership and Management self-evaluations (latest year; VbE also earlier for
    :data:`VBE_YEARS`)."""
    vbe, lm = load_framework("vbe"), load_framework("leadership_management")
    for school in schools:
        plans = [(lm, YEARS[-1])]
        if school.school_id in VBE_SCHOOLS:
            plans += [(vbe, year) for year in VBE_YEARS.get(school.school_id, YEARS[-1:])]
        for fw, year in plans:
            y = YEARS.index(year)
            files["cycles.csv"].append(dict(school_id=school.school_id, framework=fw.id, academic_year=year))
            for k, (p, element) in enumerate(fw.elements):
                level = school.strength + school.growth * y + rng.gauss(0, 0.5)
                rating = _clamp(level * fw.scale.max / 4, fw.scale.min, fw.scale.max)
                evidence = ""
                if rating > fw.scale.min and fw is lm:
                    full, title = LM_EVIDENCE[element.id]
                    evidence = full if school.school_id in LM_FULL_EVIDENCE else title
                elif rating > fw.scale.min:
                    style = VBE_EVIDENCE_STYLE.get(school.school_id, "thin")
                    if style == "thin":
                        evidence = VBE_EVIDENCE[p.id]
                    elif style == "full" or p.id not in VBE_GAPS:
                        evidence = VBE_EVIDENCE_FULL[p.id]
                files["sef_ratings.csv"].append(
                    dict(
                        school_id=school.school_id,
                        framework=fw.id,
                        academic_year=year,
                        element_id=element.id,
                        rating=rating,
                        evidence=evidence,
                        recorded_by="Headteacher",
                        recorded_at=_date(year, 4, 1 + k) + "T10:00:00",
                    )
                )
        for reflection in VBE_SCHOOLS.get(school.school_id, ()):
            author, text = REFLECTIONS[reflection]
            files["reflections.csv"].append(
                dict(
                    school_id=school.school_id,
                    framework=vbe.id,
                    academic_year=YEARS[-1],
                    reflection_id=reflection,
                    text=text,
                    author=author,
                    recorded_at=_date(YEARS[-1], 6, 10) + "T12:00:00",
                )
            )


#: Schools that sort their WQM elements with the NCB tool ("we do this now", "we want to do this",
#: "we don't want to / don't understand this"), and from which year.
SORTING_SCHOOLS = {"NLT03": YEARS[2], "NLT05": YEARS[1], "NLT06": YEARS[2], "NLT08": YEARS[1]}


def _sortings(rng: random.Random, files: dict[str, list[dict]]) -> None:
    """Sort the current WQM entries of :data:`SORTING_SCHOOLS`: what is rated well is done now; what is
    not is wanted, or, now and then, not for the school (not wanted, or not understood yet)."""
    for row in files["sef_ratings.csv"]:
        since = SORTING_SCHOOLS.get(row["school_id"])
        if (
            row["framework"] != "wqm"
            or since is None
            or row["academic_year"] < since
            or row["recorded_by"] != "Wellbeing lead"
        ):  # the current entry, not an earlier draft
            continue
        rating = row["rating"]
        if rating >= 3:
            row["sorting"] = "doing_now"
        elif rng.random() < (0.35 if rating == 1 else 0.15):
            row["sorting"] = "not_for_us"
        else:
            row["sorting"] = "want_to_do"


#: Targets for the weakest principles: their text per principle, the people who own them.
TARGET_TEXT = {
    "P1": "Agree the whole-school wellbeing strategy with staff and governors and review it each term",
    "P2": "Set up a parent forum and a pupil wellbeing council that meet every half term",
    "P3": "Train every member of staff in risk, resilience and early identification",
    "P4": "Map the teaching of social and emotional skills across every year group",
    "P5": "Review the behaviour and anti-bullying policies with pupils and parents",
    "P6": "Move to a relational behaviour policy and train staff in restorative conversations",
    "P7": "Agree a written referral pathway with CAMHS and the school nursing team",
}
OWNERS = ("Wellbeing lead", "Headteacher", "Deputy head (pastoral)", "SENCo", "PSHE lead")
#: Which schools keep an action plan (Ashgrove, the Beacon candidate, has none on file), and how their
#: targets fare over the years: the status in each year from the one set (targets open or in progress at a
#: year's end are carried into the next).
TARGET_SCHOOLS = ("NLT02", "NLT03", "NLT04", "NLT05", "NLT06", "NLT07", "NLT08")
TARGET_PATHS = (("open", "in_progress", "achieved"), ("open", "achieved"), ("in_progress", "dropped"))
#: Schools that close every carried target in the latest year (achieved, or dropped when its path ends so)
#: and set no new one: their report reviews last year's targets and suggests new ones.
TARGETS_CLOSED = ("NLT03",)


def _targets(
    rng: random.Random,
    files: dict[str, list[dict]],
    fw: Framework,
    true_means: dict[tuple[str, str], dict[str, float]],
    ids: set[str] | None = None,
) -> None:
    """Targets per school: two for its weakest principles in the first year, one more each later year;
    each target's status moves along one of :data:`TARGET_PATHS` (open -> in progress -> achieved, or
    dropped), carried year to year with its id while it is open or in progress, with an owner and a
    review date at the end of a term (:data:`TARGETS_CLOSED`: closed in the latest year)."""
    for school_id in (s for s in TARGET_SCHOOLS if ids is None or s in ids):
        live: list[dict] = []  # targets being carried: id, principle, text, owner, path, step
        number = 0
        for y, year in enumerate(YEARS):
            closing = school_id in TARGETS_CLOSED and y == len(YEARS) - 1
            means = true_means[(school_id, year)]
            taken = {t["principle_id"] for t in live}
            weakest = [pid for pid in sorted(means, key=lambda pid: (means[pid], pid)) if pid not in taken]
            for pid in weakest[: 0 if closing else 2 if y == 0 else 1]:
                number += 1
                live.append(
                    dict(
                        target_id=f"{school_id}-T{number:02d}",
                        principle_id=pid,
                        text=TARGET_TEXT[pid],
                        owner=rng.choice(OWNERS),
                        path=rng.choice(TARGET_PATHS),
                        step=0,
                        since=y,
                    )
                )
            carried = []
            for t in live:
                status = t["path"][-1 if closing else min(t["step"], len(t["path"]) - 1)]
                review = _date(year, rng.choice((12, 3, 7)), rng.choice((12, 15, 19)))
                common = dict(
                    school_id=school_id,
                    framework=fw.id,
                    academic_year=year,
                    target_id=t["target_id"],
                    principle_id=t["principle_id"],
                    text=t["text"],
                    owner=t["owner"],
                )
                if t["since"] == y:  # set this year: first written as open, then moved on
                    files["targets.csv"].append(
                        dict(
                            common,
                            review_date=review,
                            status="open",
                            recorded_by=CONSULTANT,
                            recorded_at=_date(year, 10, 8) + "T15:00:00",
                        )
                    )
                if t["since"] != y or status != "open":
                    files["targets.csv"].append(
                        dict(
                            common,
                            review_date=review,
                            status=status,
                            recorded_by=t["owner"],
                            recorded_at=_date(year, 6, 24) + "T16:00:00",
                        )
                    )
                t["step"] += 1
                if status in ("open", "in_progress"):
                    carried.append(t)
            live = carried
    for school_id, framework, year, target_id, principle_id, text, owner, review, status, at in OTHER_TARGETS:
        if ids is not None and school_id not in ids:
            continue
        files["targets.csv"].append(
            dict(
                school_id=school_id,
                framework=framework,
                academic_year=year,
                target_id=target_id,
                principle_id=principle_id,
                text=text,
                owner=owner,
                review_date=review,
                status=status,
                recorded_by=owner,
                recorded_at=at + "T15:00:00",
            )
        )


#: Targets of the other frameworks: Northbrook Academy's VbE target, carried from 2024-25 into 2025-26, and
#: Larkspur's Leadership and Management target.
OTHER_TARGETS = (
    (
        "NLT06",
        "vbe",
        "2024-25",
        "NLT06-V01",
        "A1",
        "Start weekly values check-ins in every tutor group and record what pupils raise",
        "Head of year 7",
        "2025-03-31",
        "open",
        "2024-10-15",
    ),
    (
        "NLT06",
        "vbe",
        "2025-26",
        "NLT06-V01",
        "A1",
        "Start weekly values check-ins in every tutor group and record what pupils raise",
        "Head of year 7",
        "2026-03-31",
        "in_progress",
        "2025-10-14",
    ),
    (
        "NLT05",
        "leadership_management",
        "2025-26",
        "NLT05-L01",
        "LM",
        "Appoint a lead governor for wellbeing and brief the full governing board",
        "Chair of governors",
        "2026-03-31",
        "open",
        "2025-11-03",
    ),
)


#: Award decisions (``award_decisions.csv``): Ashgrove Approved, then Champion three academic years
#: before the latest year (the Beacon candidate); Kingsmead Approved; St Aidan's deferred; Ashgrove's VbE
#: Quality Mark.
AWARD_DECISIONS_CSV = "award_decisions.csv"
AWARD_DECISION_COLUMNS = [
    "school_id",
    "framework",
    "level",
    "academic_year",
    "decided_on",
    "assessor",
    "outcome",
    "reasons",
]
ASSESSOR = "J. Whitfield (WQM assessor)"
AWARD_DECISIONS = (
    (
        "NLT01",
        "wqm",
        "approved",
        "2019-20",
        "2020-07-02",
        ASSESSOR,
        "awarded",
        "All seven framing principles implemented with evidence; stakeholder surveys strongly positive.",
    ),
    (
        "NLT01",
        "wqm",
        "champion",
        "2022-23",
        "2023-06-29",
        ASSESSOR,
        "awarded",
        "Approved School practice sustained over three years; wellbeing prioritised alongside high academic standards.",
    ),
    (
        "NLT04",
        "wqm",
        "approved",
        "2023-24",
        "2024-06-20",
        ASSESSOR,
        "awarded",
        "Framing principles implemented; behaviour approach to be reviewed with pupils and parents.",
    ),
    (
        "NLT07",
        "wqm",
        "approved",
        "2024-25",
        "2025-06-26",
        ASSESSOR,
        "deferred",
        "Parent agreement below 60% on several principles; reassess once the parent forum has run for a year.",
    ),
    (
        "NLT01",
        "vbe",
        "quality_mark",
        "2025-26",
        "2026-06-18",
        "M. Ellis (VbE consultant)",
        "awarded",
        "Values lived by pupils and adults alike and visible across the curriculum.",
    ),
)


def _respondent_count(rng: random.Random, survey: str, school: SampleSchool, y: int) -> int:
    if survey == "staff":
        if school.staff is not None:  # a larger trust's school: most of its staff answer
            return max(6, round(school.staff * rng.uniform(0.7, 0.9)))
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


def _staff_audits(
    rng: random.Random,
    files: dict[str, list[dict]],
    bank: QuestionBank,
    true_means: dict[tuple[str, str], dict[str, float]],
    schools: tuple[SampleSchool, ...] = SCHOOLS,
) -> None:
    """Staff audits (:data:`AUDITS`): each member of staff rates each framing principle on the maturity
    scale, near the school's own self-evaluation of it that year (without a scenario's ``self_lift``), a
    little lower, with each person's and each answer's own spread."""
    if AUDIT_SURVEY not in bank.surveys:
        return
    survey = bank.surveys[AUDIT_SURVEY]
    scale = bank.scale_of(AUDIT_SURVEY)
    sections = load_mapping(load_framework("wqm"), bank).item_sections()
    for school in schools:
        for year, count in AUDITS.get(school.school_id, {}).items():
            n = count if count is not None else max(6, school.pupils // 18 + rng.randint(-2, 2))
            means = true_means[(school.school_id, year)]
            for i in range(n):
                row: dict[str, str | int] = dict(
                    school_id=school.school_id, academic_year=year, respondent=f"a{i + 1:04d}", role=_role(rng)
                )
                person = rng.gauss(0, 0.45)
                for item in survey.items:
                    if rng.random() < 0.03:
                        row[item.id] = ""
                        continue
                    latent = means[sections[(AUDIT_SURVEY, item.id)]] + AUDIT_BIAS + person + rng.gauss(0, 0.5)
                    row[item.id] = _clamp(latent, scale.min, scale.max)
                files[SURVEY_CSV.format(survey=AUDIT_SURVEY)].append(row)


def _survey_rows(
    rng: random.Random,
    files: dict[str, list[dict]],
    bank: QuestionBank,
    school: SampleSchool,
    y: int,
    year: str,
    principle_means: dict[str, float],
    survey_bias: float,
    shift: dict[str, float],
) -> None:
    """Every stakeholder survey's respondents for one school year: each answer near what the principle's
    maturity suggests, with the school's, the person's and the answer's own spread, plus the scenario's
    ``shift`` of that principle."""
    sections = load_mapping(load_framework("wqm"), bank).item_sections()
    for survey_id, survey in bank.surveys.items():
        if survey.measure != "agreement":  # the staff audit: _staff_audits
            continue
        n = _respondent_count(rng, survey_id, school, y)
        bias = survey_bias + (school.parent_bias if survey_id == "parent" else 0.0)
        for i in range(n):
            row: dict[str, str | int] = dict(
                school_id=school.school_id, academic_year=year, respondent=f"{survey_id[0]}{i + 1:04d}"
            )
            if survey.subgroup and survey_id == "staff":
                roll, acc = rng.random(), 0.0
                row["role"] = ROLES[-1][0]
                for role, share in ROLES:
                    acc += share
                    if roll < acc:
                        row["role"] = role
                        break
            elif survey.subgroup and survey_id == "pupil":  # the sample parents were not asked
                row[survey.subgroup.field] = rng.choice(YEAR_GROUPS[school.phase])
            person = rng.gauss(0, 0.5)
            for item in survey.items:
                if rng.random() < 0.04:
                    row[item.id] = ""
                    continue
                section = sections[(survey_id, item.id)]
                latent = 1.9 + 0.75 * principle_means[section] + bias + shift[section] + person + rng.gauss(0, 0.7)
                row[item.id] = _clamp(latent, bank.likert_values[0], bank.likert_values[-1])
            files[SURVEY_CSV.format(survey=survey_id)].append(row)


#: Validated measures (instrument, survey) -> school -> the years its respondents answered it: SWEMWBS for
#: the secondaries' pupils (Y7 to Y11, two years) and some schools' staff, the Stirling scale for primary
#: pupils (8 to 11 year olds).
MEASURES: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("swemwbs", "pupil"): {"NLT06": YEARS[1:], "NLT07": YEARS[1:]},
    ("swemwbs", "staff"): {
        "NLT01": YEARS[2:],
        "NLT03": YEARS[2:],
        "NLT04": YEARS[1:],
        "NLT06": YEARS[1:],
        "NLT07": YEARS[2:],
    },
    ("stirling", "pupil"): {
        "NLT01": YEARS[1:],
        "NLT02": YEARS[2:],
        "NLT03": YEARS[2:],
        "NLT04": YEARS[1:],
        "NLT05": YEARS[2:],
        "NLT08": YEARS[2:],
    },
}
#: What is added to every item answer (1-5) of a school's measure in a year: Northbrook Academy's pupils
#: and staff feel worse in 2025-26.
MEASURE_SHIFT = {("NLT06", "2025-26"): -0.35}
#: Share of respondents who skip a measure, and the chance of skipping one of its items (no score then).
MEASURE_SKIPPED, MEASURE_ITEM_SKIPPED = 0.05, 0.012


def measure_columns(survey_id: str) -> list[str]:
    """The score columns a survey file carries (``<instrument>.<score>``), in :data:`MEASURES` order."""
    out = []
    for instrument_id, survey in MEASURES:
        if survey == survey_id:
            out += [f"{instrument_id}.{score}" for score in load_instrument(instrument_id).score_ids]
    return list(dict.fromkeys(out))


def _measures(
    rng: random.Random,
    files: dict[str, list[dict]],
    true_means: dict[tuple[str, str], dict[str, float]],
    ids: set[str] | None = None,
) -> None:
    """Answers to the validated measures of :data:`MEASURES`, per item, near a level that follows the
    school's experienced maturity that year (plus :data:`MEASURE_SHIFT`), with each person's and each
    answer's own spread; scored as published and written as the respondents' scores."""
    import pandas as pd

    from .model.scoring import score_responses

    for (instrument_id, survey_id), schools in MEASURES.items():
        instrument = load_instrument(instrument_id)
        items = instrument.item_columns()
        rows = files[SURVEY_CSV.format(survey=survey_id)]
        for school_id, years in schools.items():
            if ids is not None and school_id not in ids:
                continue
            for year in years:
                members = [r for r in rows if r["school_id"] == school_id and r["academic_year"] == year]
                means = true_means[(school_id, year)]
                level = 3.0 + 0.3 * (sum(means.values()) / len(means) - 2.5) + MEASURE_SHIFT.get((school_id, year), 0)
                answers: list[dict[str, int | None]] = []
                for _ in members:
                    if rng.random() < MEASURE_SKIPPED:
                        answers.append({item: None for item in items})
                        continue
                    person = rng.gauss(0, 0.55)
                    answers.append(
                        {
                            item: None
                            if rng.random() < MEASURE_ITEM_SKIPPED
                            else _clamp(level + person + rng.gauss(0, 0.7), 1, 5)
                            for item in items
                        }
                    )
                scored = score_responses(instrument, pd.DataFrame(answers, columns=list(items)))
                for row, record in zip(members, scored.to_dict("records"), strict=False):
                    for score in instrument.score_ids:
                        value = record[score]
                        if value == value:
                            row[f"{instrument_id}.{score}"] = int(value) if float(value).is_integer() else value


def columns(bank: QuestionBank | None = None) -> dict[str, list[str]]:
    """Column order of every CSV file."""
    bank = bank or load_question_bank()
    cols = {name: list(cols) for name, cols in CSV_FILES.values()}
    cols.setdefault(AWARD_DECISIONS_CSV, list(AWARD_DECISION_COLUMNS))
    for survey_id, survey in bank.surveys.items():
        sub = [survey.subgroup.field] if survey.subgroup and survey_id != "parent" else []
        cols[SURVEY_CSV.format(survey=survey_id)] = [
            *SURVEY_ID_COLUMNS,
            *sub,
            *survey.item_ids,
            *measure_columns(survey_id),
        ]
    return cols


def write_sample(out_dir: str | Path, seed: int = SAMPLE_SEED, schools: int | None = None) -> list[Path]:
    """Generate the sample trust and write its CSV files to ``out_dir``; ``schools`` makes a trust of
    that many schools (:func:`trust_schools`) instead of the committed sample's eight."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = generate(seed, schools=trust_schools(schools, seed) if schools is not None else None)
    written = []
    for name, cols in columns().items():
        path = out_dir / name
        written.append(write_csv(path, cols, ([row.get(c, "") for c in cols] for row in files[name])))
    return written

"""A seeded corpus for measuring the PHI screen: vignettes with planted identifiers, clean paragraphs.

* :func:`vignettes` writes synthetic clinical vignettes (a presenting complaint, history,
  findings, plan, in varied wording) and plants identifiers of every kind at known spans,
  in varied formats ("(555) 123-4567", "555.123.4567", "+1 555 123 4567"; "03/14/2021",
  "14 March 2021", "2021-03-14", "March 14th" ...), plus names of people. Kinds are dealt
  round-robin so each is planted about equally often.
* :func:`clean_paragraphs` returns text that must NOT be flagged, by origin: the bundled
  curriculum's paragraphs, generated clinical-teaching paragraphs dense with numbers
  (lab values, doses, scores, years, guideline dates and URLs, eponyms), and, when the
  shared evaluation data is present, real PubMedQA abstracts.

Half of the planted given names come from outside the name detector's list of common
given names, so the name figure is not flattered by the generator sharing its list.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tutor.settings import PROJECT_ROOT

PUBMEDQA = PROJECT_ROOT.parent / "shared" / "eval" / "pubmedqa" / "pqal_dev.json"

KINDS = ("phone", "fax", "email", "ssn", "mrn", "health_plan", "account", "licence", "vehicle", "device", "url", "ip",
         "address", "zip", "dob", "date", "age")

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
GIVEN_COMMON = ["John", "Mary", "Robert", "Linda", "David", "Susan", "James", "Karen", "Priya", "Ahmed"]
GIVEN_RARE = ["Eudora", "Bartholomew", "Oksana", "Thaddeus", "Ysolde", "Cornelius", "Imelda", "Lorcan", "Anouk", "Ferdinand"]
SURNAMES = ["Okonkwo", "Hargreaves", "Lindqvist", "Castellanos", "Whitcombe", "Nakamura", "Featherstone", "Abernathy",
            "Delacroix", "Pemberton", "Szymanski", "Ashworth"]
STREETS = ["Elm", "Maple", "Harbour View", "Oak", "Church", "Station", "Willow Bank", "Kings"]
STREET_TYPES = ["Street", "Road", "Avenue", "Lane", "Drive", "Close", "Court", "Way"]
CITIES = [("Springfield", "IL"), ("Columbus", "OH"), ("Austin", "TX"), ("Portland", "OR"), ("Albany", "NY")]


@dataclass(frozen=True)
class Planted:
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Vignette:
    text: str
    planted: tuple[Planted, ...]


# -- identifier makers: (lead-in text, identifier, trailing text) ------------------------------------

def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _phone_number(rng: random.Random) -> str:
    a, b, c = f"{rng.randint(201, 989)}", _digits(rng, 3), _digits(rng, 4)
    return rng.choice([f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"+1 {a} {b} {c}", f"{a} {b} {c}",
                       f"07{_digits(rng, 3)} {_digits(rng, 6)}", f"020 {_digits(rng, 4)} {_digits(rng, 4)}"])


def _date(rng: random.Random, year: int | None = None) -> str:
    y = year or rng.randint(2015, 2024)
    m, d = rng.randint(1, 12), rng.randint(1, 28)
    month = MONTHS[m - 1]
    return rng.choice([f"{m:02d}/{d:02d}/{y}", f"{m}/{d}/{y}", f"{d} {month} {y}", f"{month} {d}, {y}", f"{y}-{m:02d}-{d:02d}",
                       f"{month} {d}{'th' if d > 3 else ['st', 'nd', 'rd'][d - 1]}", f"{d}.{m}.{y}", f"{d}/{m}/{str(y)[2:]}",
                       f"{d}th of {month}" if d > 3 else f"{d} {month[:3]} {y}"])


def _ident(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(n - 4)) + _digits(rng, 4)


def _make(kind: str, rng: random.Random) -> tuple[str, str, str]:
    match kind:
        case "phone":
            return rng.choice(["Her mobile is ", "Contact the daughter on ", "Call back on ", "Home phone: ", "Tel "]), _phone_number(rng), "."
        case "fax":
            return rng.choice(["Fax referral to ", "Fax: ", "GP fax "]), _phone_number(rng), "."
        case "email":
            user = rng.choice(["j.smith", "mary_k", "pt4412", "oksana.l", "bart.h77"])
            return rng.choice(["Email results to ", "Her e-mail is ", "Contact: "]), f"{user}@{rng.choice(['gmail.com', 'nhs.net', 'example.org', 'outlook.co.uk'])}", "."
        case "ssn":
            return rng.choice(["SSN ", "Social security number: ", "SSN: "]), rng.choice([f"{_digits(rng, 3)}-{_digits(rng, 2)}-{_digits(rng, 4)}", _digits(rng, 9)]), "."
        case "mrn":
            return rng.choice(["MRN: ", "MRN ", "Medical record number ", "Hospital no. ", "NHS number: "]), rng.choice([_digits(rng, 8), _ident(rng, 9), f"{_digits(rng, 3)} {_digits(rng, 3)} {_digits(rng, 4)}"]), "."
        case "health_plan":
            return rng.choice(["Medicare # ", "Medicaid ID: ", "Insurance policy number ", "Member ID ", "Health plan no. "]), rng.choice([_ident(rng, 11), f"1EG4-TE5-MK{_digits(rng, 2)}"]), "."
        case "account":
            return rng.choice(["Billing account ", "Acct # ", "Account number: ", "acct "]), _digits(rng, rng.randint(6, 10)), "."
        case "licence":
            return rng.choice(["Driver's licence ", "DEA # ", "Certificate no. ", "License number: "]), _ident(rng, 9), "."
        case "vehicle":
            if rng.random() < 0.5:
                return "VIN ", "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(13)) + _digits(rng, 4), "."
            return rng.choice(["licence plate ", "License plate: ", "registration "]), f"{_digits(rng, 1)}{rng.choice('ABCDEFGH')}{rng.choice('KLMNPR')}{rng.choice('STUVWX')}{_digits(rng, 3)}", "."
        case "device":
            return rng.choice(["Pacemaker serial number ", "S/N: ", "Insulin pump serial no. ", "Device ID "]), _ident(rng, 10), "."
        case "url":
            return rng.choice(["She posts updates on her blog at ", "His profile ", "Portal link: "]), rng.choice([
                f"https://www.facebook.com/{rng.choice(SURNAMES).lower()}{_digits(rng, 2)}",
                f"https://mychart.example-health.org/patient?id={_digits(rng, 7)}",
                f"https://{rng.choice(SURNAMES).lower()}family.blogspot.com",
            ]), "."
        case "ip":
            return rng.choice(["Telehealth session from IP ", "Logged in from ", "Device address "]), f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}", "."
        case "address":
            street = f"{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}"
            return rng.choice(["She lives at ", "Home address: ", "Lives alone at "]), street, ", " + rng.choice(CITIES)[0] + "."
        case "zip":
            city, state = rng.choice(CITIES)
            return f"Lives in {city}, {state} ", _digits(rng, 5) + rng.choice(["", f"-{_digits(rng, 4)}"]), "."
        case "dob":
            return rng.choice(["DOB: ", "Date of birth ", "born on ", "D.O.B. "]), _date(rng, rng.randint(1930, 2004)), "."
        case "date":
            return rng.choice(["Admitted on ", "She was seen in clinic on ", "Discharged ", "Presented on ",
                               "Date of admission: ", "Last seen "]), _date(rng), "."
        case "age":
            n = rng.randint(90, 104)
            return rng.choice(["A ", "The patient, ", "Mrs X is "]), rng.choice([f"{n}-year-old", f"{n} years old", f"aged {n}", f"{n} yo"]), rng.choice([" widow.", " man.", "."])
        case "name":
            given = rng.choice(GIVEN_COMMON if rng.random() < 0.5 else GIVEN_RARE)
            full = f"{given} {rng.choice(SURNAMES)}"
            lead, ident = rng.choice([
                ("Patient ", full), ("Name: ", full), ("Seen with Mr ", rng.choice(SURNAMES)), ("Mrs ", full),
                ("Her daughter ", given), ("", full), ("Referred by Dr ", rng.choice(SURNAMES)),
            ])
            return lead, ident, rng.choice([" attended.", " was present.", " agreed with the plan."])
    raise ValueError(kind)  # pragma: no cover


# -- vignette filler ---------------------------------------------------------------------------

_OPENINGS = [
    "A {age}-year-old {sex} presents with {symptom} for {n} days.",
    "This {age}-year-old {sex} was brought in by ambulance with {symptom}.",
    "{Sex}, {age}, reports {symptom} since yesterday morning.",
]
_FINDINGS = [
    "Observations: HR {hr} bpm, BP {sys}/{dia} mmHg, RR {rr}, SpO2 {sat}% on air, temperature {temp} °C.",
    "Bloods: Na {na} mmol/L, K {k} mmol/L, creatinine {cr} µmol/L, CRP {crp} mg/L, Hb {hb} g/L.",
    "ECG shows sinus rhythm at {hr}/min with 1 mm ST depression in V4-V6.",
    "CURB-65 score is {curb}; Wells score {wells}. eGFR {egfr} mL/min/1.73m².",
    "She takes metformin 500 mg twice daily and ramipril 5 mg once daily.",
]
_PLANS = [
    "Plan: IV fluids 1 L 0.9% saline over 4 hours, repeat U&E in 6 hours.",
    "Start amoxicillin 500 mg three times daily for 5 days and review in 48 hours.",
    "Refer to the acute medical unit; NEWS2 is {news}.",
]
_SYMPTOMS = ["chest pain", "shortness of breath", "confusion", "abdominal pain", "fever and rigors", "palpitations"]


def _filler(rng: random.Random, template: str) -> str:
    return template.format(
        age=rng.randint(18, 85), sex=rng.choice(["man", "woman"]), Sex=rng.choice(["Man", "Woman"]),
        symptom=rng.choice(_SYMPTOMS), n=rng.randint(1, 14), hr=rng.randint(55, 130), sys=rng.randint(85, 180),
        dia=rng.randint(45, 105), rr=rng.randint(12, 32), sat=rng.randint(86, 99), temp=round(rng.uniform(36, 40), 1),
        na=rng.randint(118, 150), k=round(rng.uniform(2.8, 7.2), 1), cr=rng.randint(50, 600), crp=rng.randint(1, 300),
        hb=rng.randint(60, 170), curb=rng.randint(0, 5), wells=rng.randint(0, 9), egfr=rng.randint(8, 110),
        news=rng.randint(0, 12),
    )


def vignettes(n: int = 1000, seed: int = 7, per_vignette: int = 4) -> list[Vignette]:
    """``n`` vignettes, each with ``per_vignette`` planted identifiers and one planted name."""
    rng = random.Random(seed)
    out: list[Vignette] = []
    turn = 0
    for _ in range(n):
        pieces: list[tuple[str, str | None]] = [(_filler(rng, rng.choice(_OPENINGS)) + " ", None)]
        kinds = [KINDS[(turn + i) % len(KINDS)] for i in range(per_vignette)] + ["name"]
        turn += per_vignette
        rng.shuffle(kinds)
        for kind in kinds:
            lead, ident, tail = _make(kind, rng)
            pieces += [(lead, None), (ident, kind), (tail + " ", None)]
            if rng.random() < 0.6:
                pieces.append((_filler(rng, rng.choice(_FINDINGS)) + " ", None))
        pieces.append((_filler(rng, rng.choice(_PLANS)), None))
        text, planted, cursor = [], [], 0
        for piece, kind in pieces:
            if kind:
                planted.append(Planted(kind, cursor, cursor + len(piece)))
            text.append(piece)
            cursor += len(piece)
        out.append(Vignette("".join(text), tuple(planted)))
    return out


# -- clean text ----------------------------------------------------------------------------------

_TEACHING = [
    "Hyponatraemia is a serum sodium below 135 mmol/L; severe when below 125 mmol/L. Correct chronic cases by no more than "
    "{a}-{b} mmol/L in 24 hours to avoid osmotic demyelination.",
    "Give IV amoxicillin 1 g every 8 hours (or 50 mg/kg for children, maximum 1 g) for {n} days. The 2019 NICE guideline "
    "NG138 (published 16 September 2019) recommends a 5-day course: https://www.nice.org.uk/guidance/ng138.",
    "A 12-lead ECG in hyperkalaemia shows peaked T waves; at K+ above {k} mmol/L give 10 mL of 10% calcium gluconate over "
    "{n} minutes, then 10 units of soluble insulin with 25 g of glucose.",
    "The CURB-65 score (confusion, urea >7 mmol/L, respiratory rate ≥30, BP <90/60 mmHg, age ≥65) guides admission: "
    "score 0-1 home, 2 consider admission, 3-5 urgent admission.",
    "Kussmaul breathing in DKA and Dr. Kussmaul's sign in constrictive pericarditis are different signs. Graves disease, "
    "Addison disease and Cushing syndrome are eponyms, not people in a record.",
    "T2DM affects about {p}% of adults aged 40-79; HbA1c of 48 mmol/mol (6.5%) or more is diagnostic. Target BP in "
    "diabetes is below 140/90 mmHg (130/80 with CKD stage 3, eGFR 30-59 mL/min/1.73m²).",
    "Warfarin has a half-life of 36-42 hours; a target INR of 2.0-3.0 is usual, 2.5-3.5 for mechanical mitral valves. "
    "Vitamin K 5 mg IV reverses it within 6-12 hours (BNF, accessed 3 March 2023).",
    "In the SPRINT trial (2015), 9,361 participants were randomised to a systolic target of 120 or 140 mmHg; the "
    "primary outcome fell from 2.19% to 1.65% per year (hazard ratio 0.75, 95% CI 0.64-0.89).",
    "Paracetamol overdose: plot the 4-hour level on the nomogram (treatment line 100 mg/L at 4 hours). Acetylcysteine is "
    "given as 150 mg/kg over 1 hour; ICD-10 code T39.1. See the MHRA Drug Safety Update of 3 September 2012.",
    "Normal ranges: WCC 4.0-11.0 ×10⁹/L, platelets 150-400 ×10⁹/L, ALT 7-56 U/L, bilirubin 3-21 µmol/L, TSH 0.4-4.0 mU/L. "
    "In March 2021 the reference range was revised; version 4.2.1 of the lab manual applies.",
    "GCS 15/15 (E4 V5 M6); a drop of 2 points or a GCS of 8 or less needs airway protection. Call 999 or 112 in an emergency; "
    "NHS 111 gives advice.",
    "Adrenaline 0.5 mg IM (0.5 mL of 1 in 1000) into the anterolateral thigh, repeated after 5 minutes. Children 6-12 years "
    "get 300 micrograms; under 6 years 150 micrograms. Resuscitation Council UK guideline, May 2021.",
    "Alteplase 0.9 mg/kg (maximum 90 mg) within 4.5 hours of onset; 10% as a bolus over 1 minute. The NIHSS ranges "
    "from 0 to 42; door-to-needle time should be under 60 minutes.",
    "Mr Men books aside, eponymous scores like the Glasgow-Blatchford score (0-23) and the Rockall score (0-11) stratify "
    "upper GI bleeding; a Blatchford score of 0 allows outpatient care.",
    "Aged 65 or over, the flu vaccine is offered each autumn; patients aged 70-79 are offered the shingles vaccine. "
    "Refer anyone over 85 with falls to the falls clinic.",
]


def generated_clean(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(_TEACHING).format(a=rng.randint(8, 10), b=rng.randint(10, 12), n=rng.randint(3, 14),
                                         k=round(rng.uniform(6.0, 7.0), 1), p=rng.randint(6, 12))
            for _ in range(n)]


def bundled_clean(content_dir: Path = PROJECT_ROOT / "content" / "curriculum") -> list[str]:
    """Paragraphs (and list blocks) of the bundled curriculum, front matter and headings left out."""
    paragraphs = []
    for path in sorted(content_dir.rglob("*.md")):
        text = re.sub(r"\A---\n.*?\n---\n", "", path.read_text(encoding="utf-8"), flags=re.S)
        for block in re.split(r"\n\s*\n", text):
            block = block.strip()
            if len(block) >= 60 and not block.startswith("#"):
                paragraphs.append(block)
    return paragraphs


def pubmedqa_clean(limit: int | None = None, path: Path = PUBMEDQA) -> list[str]:
    """Real abstracts (context paragraphs) from PubMedQA's labelled dev set; [] when it is not here."""
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    out = [context for item in data.values() for context in item["CONTEXTS"]]
    return out[:limit] if limit else out


def clean_paragraphs(n: int = 1000, seed: int = 11) -> dict[str, list[str]]:
    """Clean text by origin: all bundled paragraphs, ``n`` generated ones, up to ``n`` PubMedQA ones."""
    return {"bundled": bundled_clean(), "generated": generated_clean(n, seed), "pubmedqa": pubmedqa_clean(n)}


# -- scoring -----------------------------------------------------------------------------------

def covered(planted: Planted, spans: list[tuple[int, int]]) -> bool:
    """Every character of the planted identifier is inside some finding (so redaction removes it)."""
    need = set(range(planted.start, planted.end))
    for start, end in spans:
        need -= set(range(start, end))
    return not need


def recall_by_kind(corpus: list[Vignette], screen: Callable[[str], list]) -> dict[str, tuple[int, int]]:
    """kind -> (found, planted)."""
    tally: dict[str, list[int]] = {}
    for vignette in corpus:
        spans = [(f.start, f.end) for f in screen(vignette.text)]
        for planted in vignette.planted:
            row = tally.setdefault(planted.kind, [0, 0])
            row[0] += covered(planted, spans)
            row[1] += 1
    return {kind: (row[0], row[1]) for kind, row in tally.items()}

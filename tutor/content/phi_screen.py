"""Screening text for HIPAA Safe Harbor identifiers that patterns can find.

Uploads are held for an instructor when they contain any of these, and a student's
chat text has them replaced by placeholders before it reaches a model or the progress
store. Pure functions, no I/O: :func:`screen` returns findings, :func:`redact`
replaces them.

Medical teaching text is full of numbers (``Na 135 mmol/L``, ``5 mg/kg``, ``12-lead
ECG``, ``CURB-65``, ``NICE NG136 (2019)``), so every rule is built for precision:

* numbers that are identifiers only by their label (medical record, health plan,
  account, licence, certificate, device serial numbers) are found only when labelled
  ("MRN: 12345678", "Medicare #", "acct", "S/N");
* a phone number needs the 3-3-4 digit grouping (or a UK 0/+44 number); an SSN the
  3-2-4 grouping; a ZIP code a state abbreviation, a "ZIP" label or a street address
  before it (a bare five-digit number is far more often a lab value);
* a date is flagged when it names a day (a year alone, or "March 2021", is allowed by
  Safe Harbor and common in teaching text), unless a publication cue ("published",
  "updated", "accessed", "guideline", "version" ...) stands right before it;
* IP addresses are always flagged. URLs are legitimately cited in course material
  (guidelines), so a URL is flagged only with a personal cue: a social or patient-portal
  host, a path that names a patient, user or profile, or "her blog", "his website";
* ages over 89 ("92-year-old", "aged 94") are flagged; lower ages are not identifiers.

Names of people are harder and are a separate, best-effort detector (kind ``name``,
reported in its own figure): a title ("Mr", "Mrs", "Dr" ...) or a cue ("patient",
"Name:", "her daughter") followed by capitalised words, or a common given name followed
by a capitalised word. Eponyms ("Graves disease", "Dr. Kussmaul's sign") are skipped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

KIND_LABELS: dict[str, tuple[str, str]] = {  # kind -> (singular with article, placeholder)
    "phone": ("a phone number", "[PHONE]"),
    "fax": ("a fax number", "[FAX]"),
    "email": ("an e-mail address", "[EMAIL]"),
    "ssn": ("a social security number", "[SSN]"),
    "mrn": ("a medical record number", "[MRN]"),
    "health_plan": ("a health plan number", "[HEALTH-PLAN-ID]"),
    "account": ("an account number", "[ACCOUNT]"),
    "licence": ("a licence or certificate number", "[LICENCE]"),
    "vehicle": ("a vehicle identifier", "[VEHICLE]"),
    "device": ("a device serial number", "[DEVICE-ID]"),
    "url": ("a personal web address", "[URL]"),
    "ip": ("an IP address", "[IP]"),
    "address": ("a street address", "[ADDRESS]"),
    "zip": ("a postal code", "[ZIP]"),
    "dob": ("a date of birth", "[DOB]"),
    "date": ("a date", "[DATE]"),
    "age": ("an age over 89", "[AGE>89]"),
    "name": ("a person's name", "[NAME]"),
}
PATTERN_KINDS: tuple[str, ...] = tuple(k for k in KIND_LABELS if k != "name")


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    excerpt: str  # the surroundings with the identifier masked (never repeated in full)

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind][0]

    @property
    def placeholder(self) -> str:
        return KIND_LABELS[self.kind][1]


# -- the rules ------------------------------------------------------------------------------

_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
           "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
_MONTH = rf"(?:{_MONTHS})\.?"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_UNIT_AFTER = r"(?!\s*(?:mg|mcg|g\b|kg|ml|mL|l\b|L\b|mmol|µ|%|units?|hours?|days?|weeks?|years?|min))"
_DATE_FORMS = [  # each compiled alone: the numeric forms repeat their first separator (\1), so "8.3/19" is no date
    rf"(?<![\d/.-])(?:0?[1-9]|1[0-2])([/.-])(?:0?[1-9]|[12]\d|3[01])\1(?:{_YEAR}|\d{{2}})(?![\d/-]|\.\d)",
    rf"(?<![\d/.-])(?:0?[1-9]|[12]\d|3[01])([/.-])(?:0?[1-9]|1[0-2])\1(?:{_YEAR}|\d{{2}})(?![\d/-]|\.\d)",
    rf"(?<![\d-]){_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?![\d-])",
    rf"\b{_DAY}(?:\s+of)?\s+{_MONTH},?\s+{_YEAR}\b",
    rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b",
    rf"\b{_DAY}\s+of\s+{_MONTH}\b",
    rf"\b{_DAY}\s+{_MONTH}(?!\s*\d)\b",
    rf"\b{_MONTH}\s+{_DAY}\b{_UNIT_AFTER}(?!,?\s*\d)",
]
_DATES = [re.compile(f) for f in _DATE_FORMS]
_PUBLICATION_CUE = re.compile(  # a date of a publication or a study period, not of a person
    r"\b(?:published|publication|updated?|revised|accessed|reviewed|issued|released|effective|guidelines?|guidance|"
    r"version|approved|edition|copyright|retrieved|amended|consulted|circular|alert|notice|since|from|until|till|"
    r"through|to|between|and|dated|statement|report|study|period|enrolled|recruited|conducted|launched|introduced)"
    r"\W*(?:\w+\W+){0,2}(?:on|in|of)?\W*$",
    re.I,
)
_PERSON_CUE = re.compile(  # an event of a person's care: flagged even after "and" or "from"
    r"\b(?:admitted|admission|discharged?|discharge|seen|presented|presentation|visit(?:ed)?|died|death|deceased|"
    r"surgery|operated|operation|procedure|attended|reviewed in clinic|appointment|injured|collapsed|transferred|"
    r"delivered|diagnosed|onset|last seen|referred)\b\W*(?:\w+\W+){0,2}$",
    re.I,
)
_DOB_CUE = re.compile(r"(?:\bDOB|\bD\.O\.B\.?|date of birth|\bborn(?:\s+on)?|\bbirth ?date|\bb\.)\W{0,4}$", re.I)

_PHONE = re.compile(
    r"(?<![\w+/.-])(?:\+?1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w/-]|\.\d)"
    r"|(?<![\w+/.-])\+44\s?\(?0?\)?\s?\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}(?![\w/-]|\.\d)"
    r"|(?<![\w+/.-])0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}(?![\w/-]|\.\d)"
    r"|(?<![\w+/.-])07\d{3}\s?\d{6}(?![\w/-]|\.\d)"
)
_FAX_CUE = re.compile(r"\bfax\b\W{0,6}(?:\w+\W{1,3}){0,1}$", re.I)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_SSN = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])|\b(?:SSN|social security(?: number| no\.?)?)\W{0,4}(\d{9}|\d{3} \d{2} \d{4})\b", re.I)

_ID = r"(\d{3,4}(?: \d{3,4}){1,3}\b|[A-Z0-9][A-Z0-9/-]{3,18}[A-Z0-9])"  # a labelled identifier: checked to hold digits below
_LABEL_TAIL = r"(?:\.|\b)(?:\s+(?:serial|policy|plan|account|record|member|card|registration|reference))?\s*(?:number|num|no\.?|#|ID|identifier)?\s*(?:is|was|of)?\s*[:#=]?\s*"
_LABELLED: list[tuple[str, re.Pattern]] = [
    ("vehicle", re.compile(
        rf"\b(?:licen[cs]e plate|number plate|plate|vehicle registration|registration|reg\.?|tag){_LABEL_TAIL}([A-Z0-9]{{1,4}}[ -]?[A-Z0-9]{{2,5}})\b", re.I)),
    ("vehicle", re.compile(rf"\b(?:VIN){_LABEL_TAIL}([A-HJ-NPR-Z0-9]{{17}})\b", re.I)),
    ("mrn", re.compile(
        rf"\b(?:MRN|medical record|hospital|record|chart|patient|case|NHS|unit|CHI){_LABEL_TAIL}{_ID}", re.I)),
    ("health_plan", re.compile(
        rf"\b(?:Medicare|Medicaid|health ?plan|insurance|insurer|member|policy|beneficiary|subscriber|HICN|MBI|group|"
        rf"Blue Cross|BCBS|Aetna|Cigna|Humana|UnitedHealthcare|Kaiser){_LABEL_TAIL}{_ID}", re.I)),
    ("account", re.compile(rf"\b(?:account|acct|a/c|billing|invoice){_LABEL_TAIL}{_ID}", re.I)),
    ("licence", re.compile(
        rf"\b(?:driver'?s licen[cs]e|licen[cs]e|DEA|NPI|GMC|certificate|cert\.?|DL|passport|permit){_LABEL_TAIL}{_ID}", re.I)),
    ("device", re.compile(
        rf"\b(?:serial|S/N|SN|device|UDI|pacemaker|implant|pump|IMEI){_LABEL_TAIL}{_ID}", re.I)),
]
_VIN = re.compile(r"\b(?=[A-HJ-NPR-Z0-9]*\d)(?=[A-HJ-NPR-Z0-9]*[A-HJ-NPR-Z])[A-HJ-NPR-Z0-9]{17}\b")
_IP = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\d|\.\d)")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]")
_PERSONAL_HOST = re.compile(
    r"facebook|instagram|twitter|x\.com|tiktok|linkedin|myspace|mychart|patient|portal|blogspot|wordpress|"
    r"tumblr|youtube\.com/(?:user|c|@)|/~|/users?/|/profiles?/|[?&](?:id|pid|mrn|patient|user)=", re.I)
_URL_CUE = re.compile(
    r"\b(?:his|her|their|the patient's|patient's|mother's|father's|wife's|husband's|daughter's|son's)\s+"
    r"(?:\w+\s+){0,2}(?:website|web ?site|blog|page|profile|account|homepage|home page|site|channel|feed|link)\W{0,6}"
    r"(?:\w+\W+){0,2}$", re.I)
_STREET_TYPES = (r"Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Boulevard|Blvd|Court|Ct|Way|Place|Pl|Terrace|"
                 r"Close|Crescent|Parkway|Pkwy|Highway|Hwy|Square|Sq|Circle|Cir|Trail|Row|Gardens|Grove|Mews")
_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-z]+\.?\s+){{1,3}}(?:{_STREET_TYPES})\b\.?"
    rf"(?:,?\s+(?:Apt|Apartment|Unit|Suite|Flat|#)\.?\s*[\w-]+)?"
    rf"|\b(?:Apt|Apartment|Suite|Flat)\.?\s*#?\d+[A-Za-z]?\b"
    rf"|\bP\.?\s?O\.?\s+Box\s+\d+\b",
)
_STATES = ("AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|"
           "OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC")
_ZIP = re.compile(
    rf"(?:\b(?:{_STATES})\.?,?\s+|\b(?:ZIP|zip code|postal code|postcode|post code)\W{{0,4}})(\d{{5}}(?:-\d{{4}})?)(?!\d)"
    rf"|\b(?:ZIP|zip code|postal code|postcode|post code)\W{{0,4}}([A-Z]{{1,2}}\d[A-Z\d]?\s?\d[A-Z]{{2}})\b"
    rf"|(?<=, )([A-Z]{{1,2}}\d[A-Z\d]?\s\d[A-Z]{{2}})\b"
)
_AGE = re.compile(
    r"\b(?:9\d|1[01]\d)(?:\s*|-)(?:years?|yrs?|y)(?:\s*|-)(?:old|of age)\b"
    r"|\b(?:9\d|1[01]\d)[- ]?y/?o\b"
    r"|\b(?:aged?|age:)\s*(?:9\d|1[01]\d)\b(?!\s*(?:mg|%|mmol|kg))"
    r"|\b(?:9\d|1[01]\d)\s*yo[mf]?\b"
    r"|\b(?:in (?:his|her|their) )(?:9\d|1[01]\d)(?:s|th)\b",
    re.I,
)
_AGE_SEX = re.compile(r"\b(?:9\d|1[01]\d)\s?[MF]\b(?=[\s,.;)])")  # "92M", "95 F" (case-sensitive: not "99mTc")

# -- names: best effort ------------------------------------------------------------------------

_CAP = r"[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)?"
_EPONYM_AFTER = re.compile(
    r"^(?:'s|’s)?\s+(?:sign|disease|syndrome|test|manoeuvre|maneuver|reflex|phenomenon|triad|criteria|score|"
    r"classification|law|operation|procedure|method|rule|lesion|nodes?|breathing|respiration|ulcer|palsy|"
    r"fracture|cells?|bodies|body|murmur|scale|tumou?r|equation|formula|position|incision|line|point|sphincter|"
    r"hospital|health|clinic|foundation|institute|centre|center|university|medical|trust|school|college|"
    r"questionnaire|inventory|index)\b",
    re.I)
_TITLE_NAME = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Mister|Dr|Prof|Sister|Nurse)\.?\s+((?:{_CAP})(?:\s+{_CAP})?)")
_CUE_NAME = re.compile(
    rf"\b(?:Name:|called|named|known as|her (?:husband|son|daughter|mother|father|sister|brother|partner|wife)|"
    rf"his (?:wife|son|daughter|mother|father|sister|brother|partner|husband)|next of kin|NOK|GP|consultant|signed|son|daughter)"
    rf"\s*[:,]?\s+((?:{_CAP})(?:\s+{_CAP}){{0,2}})"
    rf"|\b(?:[Pp]atient|[Pp]t|[Cc]lient|[Rr]esident)\s*[:,]?\s+({_CAP}\s+{_CAP})\b")
_GIVEN_NAMES = frozenset("""
James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew Anthony Mark Donald
Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric
Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander Frank Patrick Raymond Jack Dennis Jerry
Tyler Aaron Jose Adam Nathan Henry Douglas Zachary Peter Kyle Ethan Walter Noah Jeremy Christian Keith Roger Terry
Gerald Harold Sean Austin Carl Arthur Lawrence Dylan Jesse Jordan Bryan Billy Joe Bruce Gabriel Logan Albert Willie Alan
Juan Wayne Elijah Randy Roy Vincent Ralph Eugene Russell Bobby Mason Philip Louis Mary Patricia Jennifer Linda Elizabeth
Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Margaret Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda
Dorothy Melissa Deborah Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma
Nicole Helen Samantha Katherine Christine Debra Rachel Carolyn Janet Catherine Maria Heather Diane Ruth Julie Olivia
Joyce Virginia Victoria Kelly Lauren Christina Joan Evelyn Judith Megan Andrea Cheryl Hannah Jacqueline Martha Gloria
Teresa Ann Sara Madison Frances Kathryn Janice Jean Abigail Alice Julia Judy Sophia Grace Denise Amber Doris Marilyn
Danielle Beverly Isabella Theresa Diana Natalie Brittany Charlotte Marie Kayla Alexis Lori Priya Mohammed Ahmed Fatima
Aisha Wei Mei Raj Sanjay Oluwaseun Chidi Kwame Yusuf Omar Hassan Leila Sofia Lucas Liam Oliver Harry Amelia Isla
""".split())
_GIVEN_THEN_SURNAME = re.compile(rf"\b([A-Z][a-z]+)\s+({_CAP})\b")
_NOT_SURNAME = frozenset("""
The And Or Of In On At To For With Is Was Has Had Presents Presented Reports Reported Says Said Is Was Will Would
Disease Syndrome Sign Test Criteria Score Hospital Clinic Street Road Avenue Lane Drive Medical Health Trust University
Symptoms Symptom Questionnaire Investigators Both Outcomes Outcome Care Safety Study Group Reported Education Hospital
Foundation Centre Center Institute Society Association Scale Index Inventory Survey Database Registry Records Record
""".split())


@dataclass(frozen=True)
class _Hit:
    kind: str
    start: int
    end: int


def _has_digits(value: str, least: int = 3) -> bool:
    return sum(ch.isdigit() for ch in value) >= least


def _pattern_hits(text: str) -> list[_Hit]:
    hits: list[_Hit] = []
    add = hits.append
    for m in _EMAIL.finditer(text):
        add(_Hit("email", m.start(), m.end()))
    for m in _URL.finditer(text):
        url = m.group(0)
        before = text[max(0, m.start() - 80):m.start()]
        if _PERSONAL_HOST.search(url) or _URL_CUE.search(before):
            add(_Hit("url", m.start(), m.end()))
    for m in _IP.finditer(text):
        add(_Hit("ip", m.start(), m.end()))
    for m in _SSN.finditer(text):
        group = 1 if m.group(1) else 0
        add(_Hit("ssn", m.start(group), m.end(group)))
    for kind, pattern in _LABELLED:
        for m in pattern.finditer(text):
            value = m.group(1)
            if kind == "vehicle" and not (_has_digits(value, 1) and any(ch.isalpha() for ch in value)):
                continue
            if kind != "vehicle" and (not _has_digits(value, 4) or _YEARISH.fullmatch(value)):
                continue
            add(_Hit(kind, m.start(1), m.end(1)))
    for m in _PHONE.finditer(text):  # after the labelled rules: "NHS number: 943 476 5919" is a record number
        before = text[max(0, m.start() - 24):m.start()]
        add(_Hit("fax" if _FAX_CUE.search(before) else "phone", m.start(), m.end()))
    for m in _VIN.finditer(text):
        add(_Hit("vehicle", m.start(), m.end()))
    for m in _ADDRESS.finditer(text):
        add(_Hit("address", m.start(), m.end()))
    for m in _ZIP.finditer(text):
        group = next(g for g in (1, 2, 3) if m.group(g))
        add(_Hit("zip", m.start(group), m.end(group)))
    for pattern in _DATES:
        for m in pattern.finditer(text):
            before = text[max(0, m.start() - 40):m.start()]
            if _DOB_CUE.search(before):
                add(_Hit("dob", m.start(), m.end()))
            elif _PERSON_CUE.search(before) or not _PUBLICATION_CUE.search(before):
                add(_Hit("date", m.start(), m.end()))
    for pattern in (_AGE, _AGE_SEX):
        for m in pattern.finditer(text):
            add(_Hit("age", m.start(), m.end()))
    return hits


_YEARISH = re.compile(r"(?:19|20)\d{2}")


def _name_hits(text: str) -> list[_Hit]:
    hits: list[_Hit] = []
    for pattern in (_TITLE_NAME, _CUE_NAME):
        for m in pattern.finditer(text):
            group = 1 if m.group(1) else 2
            words = m.group(group).split()
            while words and words[-1] in _NOT_SURNAME:
                words.pop()
            if not words or _EPONYM_AFTER.match(text[m.end(group):m.end(group) + 40]):
                continue
            start = m.start(group)
            hits.append(_Hit("name", start, start + len(" ".join(words))))
    for m in _GIVEN_THEN_SURNAME.finditer(text):
        if m.group(1) in _GIVEN_NAMES and m.group(2) not in _NOT_SURNAME and not _EPONYM_AFTER.match(text[m.end():m.end() + 40]):
            hits.append(_Hit("name", m.start(), m.end()))
    return hits


def _resolved(hits: Iterable[_Hit]) -> list[_Hit]:
    """Non-overlapping hits: the earliest wins, then the longest; a tie keeps the first rule's kind."""
    chosen: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -(h.end - h.start))):
        if chosen and hit.start < chosen[-1].end:
            continue
        chosen.append(hit)
    return chosen


def mask(value: str) -> str:
    """'(555) 123-4567' -> '(•••) •••-••67': shape kept, at most the last two characters shown."""
    alnum = [i for i, ch in enumerate(value) if ch.isalnum()]
    keep = set(alnum[-2:]) if len(alnum) >= 8 else set()
    return "".join(ch if (not ch.isalnum() or i in keep) else "•" for i, ch in enumerate(value))


def _excerpt(text: str, target: _Hit, hits: list[_Hit], width: int = 30) -> str:
    lo, hi = max(0, target.start - width), min(len(text), target.end + width)
    parts: list[str] = []
    cursor = lo
    for hit in hits:
        if hit.end <= lo or hit.start >= hi:
            continue
        parts.append(text[cursor:max(cursor, hit.start)])
        if hit is target:
            parts.append(mask(text[hit.start:hit.end]))
        else:
            parts.append(KIND_LABELS[hit.kind][1])
        cursor = max(cursor, hit.end)
    parts.append(text[cursor:hi])
    body = " ".join("".join(parts).split())
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")


def screen(text: str, *, names: bool = True) -> list[Finding]:
    """Every identifier found in ``text``, in order, non-overlapping."""
    if not text:
        return []
    raw = _pattern_hits(text) + (_name_hits(text) if names else [])
    hits = _resolved(raw)
    return [Finding(h.kind, h.start, h.end, _excerpt(text, h, hits)) for h in hits]


def redact(text: str, findings: list[Finding] | None = None) -> str:
    """``text`` with each identifier replaced by its placeholder ("[PHONE]", "[DATE]" ...)."""
    findings = screen(text) if findings is None else findings
    out: list[str] = []
    cursor = 0
    for f in sorted(findings, key=lambda f: f.start):
        out.append(text[cursor:f.start])
        out.append(f.placeholder)
        cursor = f.end
    out.append(text[cursor:])
    return "".join(out)


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """kind -> how many, in the order of :data:`KIND_LABELS` (findings, or anything with a ``kind``)."""
    tally = Counter(f.kind for f in findings)
    return {kind: tally[kind] for kind in KIND_LABELS if tally[kind]}


def describe(by_kind: dict[str, int], *, with_counts: bool = True) -> str:
    """'a phone number (2), a date of birth (1)'"""
    parts = [KIND_LABELS[k][0] + (f" ({n})" if with_counts else "") for k, n in by_kind.items() if k in KIND_LABELS]
    return ", ".join(parts)


def removal_notice(by_kind: dict[str, int]) -> str:
    """What a student is told when identifiers were removed from their text before it was sent."""
    return (f"Patient details removed before sending: {describe(by_kind, with_counts=False)}. "
            "Please don't paste identifiable patient information.")


def redact_all(texts: list[str]) -> tuple[list[str], dict[str, int]]:
    """Each text redacted, and what was removed from all of them together."""
    out, every = [], []
    for text in texts:
        found = screen(text)
        every += found
        out.append(redact(text, found) if found else text)
    return out, counts(every)


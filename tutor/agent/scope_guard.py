"""Questions the tutor must not answer as teaching: advice about a real patient or oneself.

Pure pattern matching, deliberately conservative: a student asking about "a patient
with chest pain" is studying; "my patient in bed 4" or "should I stop my warfarin" is
asking for clinical advice, and gets a referral instead of an answer.
"""

from __future__ import annotations

import re

_PEOPLE = (
    r"patient|mother|mum|mom|father|dad|wife|husband|partner|son|daughter|child|kid|baby|"
    r"brother|sister|friend|grandmother|grandma|grandfather|grandpa|aunt|uncle|neighbou?r"
)
_PATTERNS = [
    rf"\bmy (?:{_PEOPLE})\b",
    r"\b(?:should|can|could|may|must) i (?:take|stop|start|double|skip|increase|reduce|lower|raise|give|inject|mix)\b",
    r"\bi(?:'m| am| have been| was|'ve been) (?:prescribed|taking|on|diagnosed)\b",
    r"\b(?:i|we) (?:have|got|feel|am having|'m having) (?:a |an |)?(?:chest pain|pain|fever|rash|lump|headache|bleeding|symptoms?)\b",
    r"\bfor me\b.*\b(?:dose|dosage|mg|medication|medicine|drug)\b",
    r"\b(?:dose|dosage)\b.*\bfor me\b",
    r"\b(?:bed|room) \d+\b",
    r"\b(?:mrn|nhs number|hospital number|medical record number)\b",
    r"\b(?:is this|am i) (?:an )?emergency\b",
]
_REAL_PATIENT = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def asks_for_clinical_advice(question: str) -> bool:
    """True when the question seems to be about a real patient or the asker's own health."""
    return bool(_REAL_PATIENT.search(question))

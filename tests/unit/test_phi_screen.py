"""The PHI screen's patterns, one by one, and the medical text they must leave alone."""

from __future__ import annotations

import pytest

from tutor.content.phi_screen import counts, describe, mask, redact, removal_notice, screen


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start:f.end]) for f in screen(text)]


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("Call (555) 123-4567 today.", "phone", "(555) 123-4567"),
    ("Call 555.123.4567.", "phone", "555.123.4567"),
    ("Call +1 555 123 4567.", "phone", "+1 555 123 4567"),
    ("Mobile 07700 900123.", "phone", "07700 900123"),
    ("Fax: 555-987-6543", "fax", "555-987-6543"),
    ("Write to jane.doe@example.com.", "email", "jane.doe@example.com"),
    ("SSN 123-45-6789.", "ssn", "123-45-6789"),
    ("SSN: 123456789.", "ssn", "123456789"),
    ("MRN: 12345678.", "mrn", "12345678"),
    ("NHS number: 943 476 5919.", "mrn", "943 476 5919"),
    ("Medicare # 1EG4-TE5-MK73.", "health_plan", "1EG4-TE5-MK73"),
    ("Insurance policy number WKKSXZL3534.", "health_plan", "WKKSXZL3534"),
    ("acct 99887766.", "account", "99887766"),
    ("DEA AB1234563.", "licence", "AB1234563"),
    ("licence plate 7ABC123.", "vehicle", "7ABC123"),
    ("VIN 1HGCM82633A004352.", "vehicle", "1HGCM82633A004352"),
    ("Pacemaker serial number DJE8MA8273.", "device", "DJE8MA8273"),
    ("Logged in from 192.168.1.20.", "ip", "192.168.1.20"),
    ("See https://www.facebook.com/jane.doe99 for photos.", "url", "https://www.facebook.com/jane.doe99"),
    ("She posts on her blog at https://example.org/diary.", "url", "https://example.org/diary"),
    ("Lives at 42 Elm Street, Springfield.", "address", "42 Elm Street"),
    ("Springfield, IL 62704.", "zip", "62704"),
    ("DOB 03/14/1950.", "dob", "03/14/1950"),
    ("Date of birth 14 March 1950.", "dob", "14 March 1950"),
    ("Admitted on 14 March 2021.", "date", "14 March 2021"),
    ("Discharged 2021-03-20.", "date", "2021-03-20"),
    ("Seen on March 14th.", "date", "March 14th"),
    ("Seen on 3/14/21 in clinic.", "date", "3/14/21"),
    ("Admitted 1 June 2020 and discharged on 3 June 2020.", "date", "3 June 2020"),
    ("A 92-year-old woman.", "age", "92-year-old"),
    ("The patient, aged 95, lives alone.", "age", "aged 95"),
    ("Mr. John Smith attended.", "name", "John Smith"),
    ("Patient Jane Doe was seen.", "name", "Jane Doe"),
    ("Her daughter Claire is with her.", "name", "Claire"),
])
def test_each_kind_is_found(text: str, kind: str, value: str):
    assert (kind, value) in _kinds(text)


@pytest.mark.parametrize("text", [
    "Na 135 mmol/L, K 5.4 mmol/L, creatinine 180 µmol/L, 5 mg/kg, 0.5 mg IM.",
    "A 12-lead ECG; CURB-65 score 3; T2DM; HbA1c 48 mmol/mol; BP 120/80 mmHg; GCS 15/15.",
    "The 2019 NICE guideline NG136 (published 21 August 2019): https://www.nice.org.uk/guidance/ng136.",
    "Updated in March 2021; version 4.2.1; ICD-10 T39.1; range 135-145 mmol/L; WCC 4.0-11.0 ×10⁹/L.",
    "Dr. Kussmaul's sign, Graves disease, Addison disease and Cushing syndrome are eponyms.",
    "A 78-year-old man; patients aged 70-79; over 85; 99mTc scan; 8.3/19 ratio.",
    "Give 1 g every 8 hours for 5 days; call 999 or NHS 111.",
    "The study ran from June 1, 2002 to September 1, 2009 in 9,361 participants.",
    "Platelets 256 ×10⁹/L; plate count; patient outcomes; Patient Health Questionnaire.",
])
def test_medical_text_is_left_alone(text: str):
    assert _kinds(text) == []


def test_redact_replaces_each_identifier_with_its_placeholder():
    text = "DOB 03/14/1950, phone (555) 123-4567, MRN: 12345678."
    assert redact(text) == "DOB [DOB], phone [PHONE], MRN: [MRN]."


def test_an_excerpt_never_repeats_the_identifier():
    text = "Please call her on (555) 123-4567 after 5 pm; MRN: 12345678."
    for finding in screen(text):
        value = text[finding.start:finding.end]
        assert value not in finding.excerpt
        assert mask(value) in finding.excerpt or finding.kind == "mrn"
    assert mask("(555) 123-4567") == "(•••) •••-••67"
    assert mask("1234") == "••••"


def test_what_the_student_and_instructor_are_told():
    found = screen("Call 555-123-4567 or 555-123-4568; DOB 1/2/1950.")
    assert describe(counts(found)) == "a phone number (2), a date of birth (1)"
    assert removal_notice(counts(found)) == (
        "Patient details removed before sending: a phone number, a date of birth. "
        "Please don't paste identifiable patient information.")

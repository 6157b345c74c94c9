"""A small case written against the mini curriculum (renal/hyperkalaemia.md), for fast tests.

Its rubric is small enough to mark by hand: key findings 3 x 1, leading diagnosis 3,
expected diagnoses 2 x 1, must-not-miss 1 x 2, next steps 3 x 1 -> 13 points possible;
the dangerous action costs 2.
"""

from __future__ import annotations

MINI_CASE_ID = "renal-mini-hyperkalaemia"
POSSIBLE_POINTS = 13.0

MINI_CASE_YAML = """\
id: renal-mini-hyperkalaemia
title: Weakness in a man on ramipril
module: renal
difficulty: easy
setting: Medical admissions unit
presenting_complaint: >-
  Mr Test Patient, 71, feels weak and has been vomiting for two days.
objectives:
  - {id: recognise-hyperkalaemia, text: Recognise hyperkalaemia and its ECG changes}
  - {id: treat-hyperkalaemia, text: Give the emergency treatment of hyperkalaemia}
stages:
  - id: history
    title: History
    intro: Take a short history.
    questions: ["What do you want to know?"]
    min_requests: 1
    unlisted_text: He has nothing to add about that.
    findings:
      - key: medications
        label: Medications
        ask: [medications, drugs, tablets, ramipril]
        text: Ramipril 10 mg daily and spironolactone 25 mg daily.
      - key: chest-pain
        label: Chest pain
        ask: [chest pain, pain]
        text: No chest pain.
  - id: examination
    title: Examination
    unlisted: normal
    findings:
      - key: observations
        label: Observations
        shown: true
        ask: [observations, pulse, heart rate]
        text: Heart rate 48 bpm, blood pressure 112/70 mmHg.
  - id: investigations
    title: Investigations
    unlisted_text: That result is not back yet.
    findings:
      - key: potassium
        label: Serum potassium
        ask: [potassium, k, u&e, bloods]
        text: Potassium 7.4 mmol/L.
      - key: creatinine
        label: Creatinine
        ask: [creatinine, renal function, u&e, bloods]
        text: Creatinine 260 umol/L (baseline 95).
      - key: ecg
        label: ECG
        ask: [ecg, electrocardiogram]
        text: Peaked T waves, broad QRS, no P waves.
  - {id: diagnosis, title: Differential diagnosis, kind: differential}
  - {id: management, title: Management, kind: plan}
rubric:
  key_findings: [medications, potassium, ecg]
  differential:
    - name: Hyperkalaemia
      synonyms: [high potassium, raised potassium, hyperkalemia]
      supported_by: [potassium, ecg, medications]
      must_not_miss: true
      objective: recognise-hyperkalaemia
      explanation: Potassium 7.4 with peaked T waves and broad QRS is severe hyperkalaemia.
      references: [{source: renal/hyperkalaemia.md, section: ECG changes}]
    - name: Acute kidney injury
      synonyms: [AKI, acute renal failure]
      supported_by: [creatinine]
      objective: recognise-hyperkalaemia
      explanation: Creatinine has risen almost threefold from baseline.
      references: [{source: renal/aki.md, section: Staging}]
  alternatives:
    - name: Myocardial infarction
      synonyms: [MI, heart attack, STEMI]
      argues_against: [chest-pain, ecg]
      explanation: No chest pain, and the ECG shows hyperkalaemic changes rather than ST elevation.
  next_steps:
    - text: Intravenous calcium gluconate
      synonyms: [calcium gluconate, iv calcium, calcium]
      objective: treat-hyperkalaemia
      explanation: Calcium gluconate stabilises the cardiac membrane.
      references: [{source: renal/hyperkalaemia.md, section: Emergency treatment}]
    - text: Insulin with glucose
      synonyms: [insulin dextrose, insulin and glucose, insulin-dextrose, actrapid]
      objective: treat-hyperkalaemia
      explanation: Insulin with glucose shifts potassium into cells.
      references: [{source: renal/hyperkalaemia.md, section: Emergency treatment}]
    - text: Stop ramipril and spironolactone
      synonyms: [stop ramipril, stop spironolactone, hold ace inhibitor, stop ace inhibitor]
      objective: treat-hyperkalaemia
      explanation: Both raise potassium.
  dangerous_actions:
    - text: Potassium supplements
      synonyms: [give potassium, potassium chloride, oral potassium]
      objective: treat-hyperkalaemia
      explanation: His potassium is already dangerously high.
teaching_points:
  - text: Peaked T waves, a broad QRS and lost P waves mean the heart is at risk.
    references: [{source: renal/hyperkalaemia.md, section: ECG changes}]
"""

"""Small question banks for tests, written against the mini curriculum of tests/markdown_files.py."""

from __future__ import annotations

from tutor.content.questions.model import Question

POTASSIUM_QUOTE = "Calcium gluconate 10% given intravenously stabilises the cardiac membrane within minutes"


def potassium_passage(title: str = "Hyperkalaemia", section: str = "Emergency treatment") -> str:
    """A Markdown document with one section long enough to draft a question from."""
    return f"""
# {title}
## {section}
Severe hyperkalaemia with ECG changes is an emergency. Calcium gluconate 10% given intravenously stabilises
the cardiac membrane within minutes but does not lower the serum potassium. Insulin with glucose shifts
potassium into cells and lowers the level within thirty minutes. Salbutamol by nebuliser adds to the effect
of insulin. Repeat the potassium measurement after treatment and look for the cause.
"""


def make_question(qid: str = "q-1", *, answer: str = "B", topic: str = "Heart failure", system: str = "Cardiovascular",
                  stem: str | None = None, explanations: bool = True, **extra) -> Question:
    texts = ["Chest radiograph", "B-type natriuretic peptide", "Troponin", "D-dimer", "Serum sodium"]
    return Question(
        id=qid,
        stem=stem or f"A 70-year-old woman is breathless on exertion ({qid}). Which blood test best rules out heart failure?",
        options=[{"text": t, "explanation": f"Explanation of {t}." if explanations else ""} for t in texts],
        answer=answer,
        topic=topic,
        system=system,
        **extra,
    )


MINI_BANK_YAML = """\
defaults:
  discipline: Medicine
questions:
  - id: mini-hf-1
    stem: A 72-year-old man is breathless and his natriuretic peptide is normal. What does this result do?
    options:
      - {text: Makes heart failure unlikely, explanation: A normal BNP rules heart failure out.}
      - {text: Confirms heart failure, explanation: BNP is a rule-out test; a normal value argues against it.}
      - {text: Confirms a pulmonary embolism, explanation: BNP does not diagnose embolism.}
      - {text: Shows hyperkalaemia, explanation: Potassium is measured directly.}
    answer: A
    topic: Heart failure
    system: Cardiovascular
    references:
      - {source: cardiology/heart-failure.md, section: Natriuretic peptides}
  - id: mini-hf-2
    stem: A woman with acute heart failure is congested. Which drug relieves the congestion?
    options:
      - {text: Calcium gluconate, explanation: It stabilises the myocardium in hyperkalaemia.}
      - {text: Furosemide, explanation: A loop diuretic relieves congestion.}
      - {text: Insulin with glucose, explanation: It shifts potassium into cells.}
    answer: B
    topic: Heart failure
    system: Cardiovascular
    references:
      - {source: cardiology/heart-failure.md, section: Heart failure > Loop diuretics}
  - id: mini-k-1
    stem: A man with potassium 7.1 mmol/L has peaked T waves. What stabilises the cardiac membrane?
    options:
      - {text: Furosemide, explanation: Not a membrane stabiliser.}
      - {text: Insulin with glucose, explanation: Shifts potassium but does not stabilise the membrane.}
      - {text: Calcium gluconate, explanation: It stabilises the cardiac membrane.}
    answer: C
    topic: Hyperkalaemia
    system: Renal
    references:
      - {source: renal/hyperkalaemia.md, section: Emergency treatment}
  - id: mini-aki-1
    stem: Creatinine has risen to 1.6 times baseline in a surgical patient. Which AKI stage is this?
    options:
      - {text: Stage 1, explanation: 1.5 to 1.9 times baseline is stage 1.}
      - {text: Stage 2, explanation: Stage 2 is a larger rise.}
      - {text: Stage 3, explanation: Stage 3 is the largest rise or dialysis.}
    answer: A
    topic: Acute kidney injury
    system: Renal
    references:
      - {source: renal/aki.md, section: Staging}
      - {source: renal/not-in-the-library.md}
"""

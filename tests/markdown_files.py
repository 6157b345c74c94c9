"""Writing small Markdown curriculum files for tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tutor.settings import PROJECT_ROOT

BUNDLED_CURRICULUM = PROJECT_ROOT / "content" / "curriculum"


def write_markdown(folder: Path, relative: str, body: str, **front_matter: str) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "".join(f"{key}: {value}\n" for key, value in front_matter.items())
    text = (f"---\n{header}---\n\n" if header else "") + textwrap.dedent(body).strip() + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def write_mini_curriculum(folder: Path) -> Path:
    """Three short documents in two modules: enough to tell retrieval right from wrong."""
    write_markdown(folder, "cardiology/heart-failure.md", """
        # Heart failure
        ## Natriuretic peptides
        B-type natriuretic peptide (BNP) is released by stretched ventricular muscle. A normal BNP
        makes heart failure unlikely in a breathless patient, so it is used to rule the diagnosis out.
        ## Loop diuretics
        Furosemide relieves congestion in acute heart failure; monitor potassium and creatinine.
        """, title="Heart failure", module="Cardiology", topic="Heart failure")
    write_markdown(folder, "renal/hyperkalaemia.md", """
        # Hyperkalaemia
        ## ECG changes
        Peaked T waves, a widened QRS complex and loss of P waves appear as potassium rises.
        ## Emergency treatment
        Calcium gluconate stabilises the cardiac membrane; insulin with glucose shifts potassium into cells.
        """, title="Hyperkalaemia", module="Renal")
    write_markdown(folder, "renal/aki.md", """
        # Acute kidney injury
        ## Staging
        Stage 1 is a creatinine rise of 1.5 to 1.9 times baseline or urine output below 0.5 ml/kg/h for 6 hours.
        """, title="Acute kidney injury", module="Renal")
    return folder

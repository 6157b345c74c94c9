"""Writing small Markdown curriculum files for tests."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_markdown(folder: Path, relative: str, body: str, **front_matter: str) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "".join(f"{key}: {value}\n" for key, value in front_matter.items())
    text = (f"---\n{header}---\n\n" if header else "") + textwrap.dedent(body).strip() + "\n"
    path.write_text(text, encoding="utf-8")
    return path

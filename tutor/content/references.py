"""A pointer into the curriculum: the shape every question, case and teaching point cites by.

A reference names a source document and optionally a section heading path (or the exact
chunk, for generated questions). It is *resolved* against the library's registry when a
citation is shown (``tutor.modes.curriculum_links``); a reference the library does not hold
is shown as missing, never replaced by a guess.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Reference(BaseModel):
    """Where in the curriculum something is taught."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    source: str = Field(min_length=1, description="Curriculum source path, e.g. cardiology/heart-failure.md")
    section: str | None = Field(default=None, description="Heading (or ' > ' heading path) within the source")
    chunk_id: str | None = Field(default=None, description="The exact passage, when known (generated questions)")

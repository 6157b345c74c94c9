"""Bringing case files into the case library: bundled files on start, instructors' uploads.

Every file is checked in full before anything is stored (:func:`parse_case` lists every
problem with its line); a bad file is reported and never costs the good ones uploaded
with it. Only ``.yaml``/``.yml`` files within the upload limit are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tutor.cases.store import CaseEntry, CaseLibrary, CaseOrigin, CaseStatus, SaveResult
from tutor.content.cases.parse import CASE_SUFFIXES, parse_case
from tutor.content.loaders.decoding import decode_text
from tutor.errors import CaseFileInvalid, DocumentError, FileTooLarge, UnsupportedFileType
from tutor.modes.access import Actor


@dataclass(frozen=True)
class CaseImport:
    """What became of one file: stored (``result``) or refused (``problems``)."""

    file: str
    case_id: str | None = None
    title: str | None = None
    result: SaveResult | None = None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.result is not None


class CaseAdmin:
    def __init__(self, *, library: CaseLibrary, max_upload_bytes: int):
        self._library = library
        self._max_upload_bytes = max_upload_bytes

    def upload(self, actor: Actor, files: list[tuple[str, bytes]]) -> list[CaseImport]:
        """Validate and store instructors' case files; one outcome per file, in order."""
        actor.require_staff()
        return [self._store(name, data, origin="uploaded", by=actor.username) for name, data in files]

    def catalogue(self, actor: Actor) -> list[CaseEntry]:
        """Every case, withdrawn ones too (students see only those on offer)."""
        actor.require_staff()
        return self._library.catalogue(include_withdrawn=True)

    def yaml_text(self, actor: Actor, case_id: str) -> str | None:
        actor.require_staff()
        return self._library.yaml_text(case_id)

    def set_status(self, actor: Actor, case_id: str, status: CaseStatus) -> None:
        """Withdraw a case from students, or offer it again."""
        actor.require_staff()
        self._library.set_status(case_id, status, by=actor.username)

    def load_bundled(self, folder: Path) -> list[CaseImport]:
        """Load every case file of the bundled folder (unchanged ones cost one hash comparison)."""
        if not folder.is_dir():
            return []
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in CASE_SUFFIXES)
        return [self._store(path.name, path.read_bytes(), origin="bundled", by=None) for path in paths]

    def _store(self, name: str, data: bytes, *, origin: CaseOrigin, by: str | None) -> CaseImport:
        try:
            if not name.lower().endswith(CASE_SUFFIXES):
                raise UnsupportedFileType(name, "a case file is YAML (.yaml or .yml)")
            FileTooLarge.check(name, len(data), self._max_upload_bytes)
            case = parse_case(data, name)
            result = self._library.save(case, decode_text(data, name), origin=origin, source_file=name, by=by)
        except CaseFileInvalid as exc:
            return CaseImport(name, problems=exc.problems)
        except DocumentError as exc:
            return CaseImport(name, problems=(exc.reason,))
        return CaseImport(name, case.id, case.title, result)


def validate_case_file(path: Path) -> tuple[str, ...]:
    """Every problem of a case file on disk (empty when it is valid): for ``tutor cases validate``."""
    try:
        parse_case(path.read_bytes(), path.name)
    except CaseFileInvalid as exc:
        return exc.problems
    except DocumentError as exc:
        return (exc.reason,)
    return ()

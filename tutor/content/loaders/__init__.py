"""Document loaders: one module per format, chosen here by the file's suffix.

Every loader has the signature ``(data: bytes, source: str) -> LoadedDocument`` so that
an upload (bytes in memory) and a file on disk go through one path; ``source`` names
the file in errors and decides the format. Size limits are the caller's job (ingest
checks ``Settings.max_upload_bytes`` before reading a file at all).
"""

from __future__ import annotations

from collections.abc import Callable

from tutor.content.loaders.docx import load_docx
from tutor.content.loaders.markdown import load_markdown
from tutor.content.loaders.pdf import load_pdf
from tutor.content.loaders.plaintext import load_plaintext
from tutor.content.loaders.source_names import source_suffix
from tutor.domain import LoadedDocument
from tutor.errors import EmptyDocument, UnsupportedFileType

Loader = Callable[[bytes, str], LoadedDocument]

LOADERS: dict[str, Loader] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_plaintext,
    ".pdf": load_pdf,
    ".docx": load_docx,
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(LOADERS)


def load_document(data: bytes, source: str) -> LoadedDocument:
    """Load ``data`` with the loader for ``source``'s suffix (case-insensitive).

    Raises UnsupportedFileType for other suffixes, EmptyDocument for a zero-byte file
    (even a .pdf or .docx, which would otherwise be "damaged") or when no section has
    text, and the loaders' MalformedDocument / EncryptedDocument.
    """
    loader = LOADERS.get(source_suffix(source))
    if loader is None:
        raise UnsupportedFileType(source)
    if not data:
        raise EmptyDocument(source)
    document = loader(data, source)
    if not any(section.text.strip() for section in document.sections):
        raise EmptyDocument(source)
    return document


__all__ = ["SUPPORTED_SUFFIXES", "load_document"]

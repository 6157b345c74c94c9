"""Turning course files into retrievable passages.

``loaders`` reads Markdown, plain text, PDF and DOCX (as bytes, so uploads and files on
disk share one path) into a :class:`~tutor.domain.LoadedDocument`; ``chunking`` cuts
that into :class:`~tutor.domain.Chunk` objects with content-hashed ids; ``text_cleaning``
is the one place that decides which characters may reach the index. No I/O here
beyond parsing the bytes given.
"""

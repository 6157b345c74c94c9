"""Domain objects that travel between the layers.

These are the only things that come back up from the library to the pages and the
CLI: plain, immutable values with no database or model handles inside. Pydantic
models, so that ``--json`` output and the later agent's structured output share one
definition.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class DocumentMeta(_Frozen):
    """What a document says about itself (Markdown front matter, PDF info, DOCX core properties)."""

    title: str | None = None
    course: str | None = None
    module: str | None = None
    topic: str | None = None
    objectives: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


class Section(_Frozen):
    """A run of text under one heading path, on one page for paged formats."""

    heading_path: tuple[str, ...] = ()
    text: str
    page: int | None = None  # 1-based PDF page; None for formats without pages


class LoadedDocument(_Frozen):
    """A file turned into sections by a loader, before chunking."""

    source: str  # path relative to the ingested folder, or the uploaded file name
    kind: str  # "markdown" | "text" | "pdf" | "docx"
    meta: DocumentMeta = DocumentMeta()
    sections: tuple[Section, ...]


class Chunk(_Frozen):
    """A retrievable passage. ``chunk_id`` is a content hash (see tutor.content.chunking)."""

    chunk_id: str
    doc_id: str
    source: str
    ordinal: int
    section: str  # heading path joined with " > "; "" when the document has no headings
    page: int | None = None
    text: str

    @property
    def embedding_text(self) -> str:
        """The text given to the embedding model: the heading path gives a passage its context."""
        return f"{self.section}\n{self.text}" if self.section else self.text


class SourceDoc(_Frozen):
    """A document as the library registry knows it."""

    doc_id: str
    source: str
    course: str
    kind: str
    title: str
    module: str | None = None
    topic: str | None = None
    objectives: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    content_hash: str
    size_bytes: int
    n_chunks: int
    ingested_at: str


class SearchHit(_Frozen):
    """One retrieved passage, with everything a citation needs."""

    source: str
    section: str
    page: int | None
    chunk_id: str
    score: float = Field(
        description="Relevance: the judge's probability that the passage answers the query (0..1); "
        "the cosine similarity when the judge is turned off"
    )
    text: str
    doc_title: str = ""
    module: str | None = None
    similarity: float | None = Field(default=None, description="Cosine similarity of query and passage, -1..1")
    relevant: bool = Field(default=True, description="The coverage rule's verdict on this passage: it answers the query")


class SearchResult(_Frozen):
    """Hits for a query plus the verdict whether the material covers it at all."""

    query: str
    hits: tuple[SearchHit, ...]
    threshold: float
    covered: bool = Field(description="True when some hit is relevant (clears the coverage rule)")
    judged: bool = Field(default=False, description="True when scores and verdict come from the relevance judge")


class FailedFile(_Frozen):
    source: str
    reason: str


class HeldFile(_Frozen):
    """A file kept out of the library because it seems to hold patient identifiers."""

    source: str
    held_id: int
    counts: dict[str, int] = Field(description="identifier kind -> how many were found")


class IngestReport(_Frozen):
    """The outcome of one ingest run; ``--json`` prints exactly this."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    failed: tuple[FailedFile, ...] = ()
    held: tuple[HeldFile, ...] = ()  # not failures, but not in the library until an instructor decides
    chunks_added: int = 0
    chunks_removed: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Nothing failed (a held file is not a failure: see ``held``)."""
        return not self.failed


class HeldFinding(_Frozen):
    """One identifier in a held file, shown masked, with where it is."""

    kind: str
    label: str
    excerpt: str
    page: int | None = None
    line: int = 0

    @property
    def where(self) -> str:
        """'p. 3, line 12', or 'title' for a finding in the document's title (line 0)."""
        return (f"p. {self.page}, " if self.page else "") + ("title" if self.line == 0 else f"line {self.line}")


class HeldUpload(_Frozen):
    """A held file as the review list shows it (the bytes stay in the registry)."""

    held_id: int
    source: str
    size_bytes: int
    uploaded_by: str
    held_at: str
    findings: tuple[HeldFinding, ...]
    status: str = "held"  # held | released | released_as_is | discarded
    decided_by: str | None = None
    decided_at: str | None = None
    reason: str | None = None


class Citation(_Frozen):
    """A passage an answer rests on; always one that was retrieved for that answer."""

    number: int  # the [n] marker shown in the answer text
    source: str
    section: str
    page: int | None = None
    chunk_id: str
    doc_title: str = ""
    text: str = ""  # the whole passage, so the student can open it

    @classmethod
    def of(cls, number: int, hit: SearchHit) -> Citation:
        """The chip for a retrieved passage, shown as ``[number]``."""
        return cls(number=number, source=hit.source, section=hit.section, page=hit.page, chunk_id=hit.chunk_id,
                   doc_title=hit.doc_title, text=hit.text)


class Quote(_Frozen):
    """A sentence copied verbatim from a cited passage that supports a sentence of the answer."""

    citation_number: int
    text: str
    similarity: float


class EvidenceQuote(_Frozen):
    """A sentence copied verbatim from a passage, shown before the model's explanation."""

    text: str
    citation: Citation
    score: float = Field(description="How well the sentence answers the question: the judge's probability plus "
                                     "its cosine (the cosine less 2 when the judge is off)")


class Evidence(_Frozen):
    """The first event of an answer: what the material says, within a second of asking."""

    quotes: tuple[EvidenceQuote, ...]


class Queued(_Frozen):
    """The question waits for the model: its place and the estimated wait (refreshed while waiting)."""

    ahead: int
    wait_s: float


class Drafting(_Frozen):
    """The first event of a streamed reply: what kind of text the words that follow are, so the
    page can label them from the first word (a general-knowledge reply streamed unlabelled)."""

    general_knowledge: bool = False


class Answer(_Frozen):
    """What the tutor says, with everything needed to check it."""

    question: str
    text: str
    grounded: bool = Field(description="True only when the answer rests on retrieved course passages")
    kind: str = Field(description="answer | hint | not_covered | general_knowledge | referral | interrupted")
    mode: str = "explain"
    citations: tuple[Citation, ...] = ()
    quotes: tuple[Quote, ...] = ()
    removed_citations: int = Field(default=0, description="Citation markers that pointed outside the retrieved set")
    hint_level: int | None = None
    model: str = ""
    prompt_version: str = ""
    latency_ms: int = 0
    conversation_id: str = ""
    turn_id: str = ""
    privacy_notice: str = Field(default="", description="What was removed from the student's text before any model saw it")
    claims_checked: int = Field(default=0, description="Statements of the reply the judge checked against the passages")
    unsupported: tuple[str, ...] = Field(
        default=(), description="Statements the material does not support; marked in the text for the student"
    )
    related: tuple[Citation, ...] = Field(
        default=(), description="Nearest passages, offered as related reading when the tutor declined to answer"
    )
    evidence: tuple[EvidenceQuote, ...] = Field(
        default=(), description="The sentences of the material shown first, verbatim, above the explanation"
    )
    first_text_ms: int | None = Field(
        default=None, description="Milliseconds from the question to the first words of the model's reply on screen"
    )

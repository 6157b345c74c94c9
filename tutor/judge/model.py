"""The shipped judge: an int8 ONNX cross-encoder read with onnxruntime, no torch.

``judge.json`` beside the model is its card in machine form: the SHA-256 of the ONNX
file, the token budget it was trained with, the support threshold calibrated on held-out
pairs (``training/calibrate.py``) and the coverage rule fitted per question on held-out
questions (:mod:`tutor.judge.coverage`, ``tutor judge-calibrate``). The file is checked
against that hash before the first use; a missing or altered file is a configuration error that names the fix, never a
silent fall-back to "covered".

Input is a pair: the question (or statement) first, then the passage as
``section path + newline + text``, exactly as in training (:func:`passage_text`), cut to
the trained budget from the passage's end only, so the question is never truncated.
"""

from __future__ import annotations

import hashlib
import json
import threading
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from tutor.errors import ModelUnavailableError
from tutor.inference_lane import IN_THREAD, InferenceLane, inference_lane
from tutor.judge.coverage import CoverageRule

HERE = Path(__file__).parent
MODEL_PATH = HERE / "judge-minilm-int8.onnx"
CARD_PATH = HERE / "judge.json"
TOKENIZER_PATH = HERE.parent / "index" / "minilm_tokenizer.json"  # the same WordPiece vocabulary as the base model
MAX_FIRST_CHARS = 600  # a question or statement longer than this is cut (the passage needs the room)
MAX_PASSAGE_CHARS = 4000


def passage_text(section: str, text: str) -> str:
    """How a passage is shown to the judge: its heading path, then its text."""
    section = (section or "").strip()
    return f"{section}\n{text.strip()}" if section else text.strip()


def _clean(text: str, limit: int, *, keep_tail: bool = False) -> str:
    """Control and format characters out, whitespace collapsed, length capped: any input gets a verdict.

    ``keep_tail`` for a question: a long clinical vignette asks its question at the end, so
    its opening and its last words are kept and the middle is cut.
    """
    text = text or ""
    if keep_tail and len(text) > limit * 2:
        text = text[: limit] + " " + text[-limit:]
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text[: limit * 2])
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return (text[: limit // 3] + " … " + text[-(limit - limit // 3) :]) if keep_tail else text[:limit]


def pair_inputs(first: str, passage: str) -> tuple[str, str]:
    """The pair as the judge reads it, in training and in use alike."""
    return _clean(first, MAX_FIRST_CHARS, keep_tail=True) or "?", _clean(passage, MAX_PASSAGE_CHARS) or "-"


@dataclass(frozen=True)
class JudgeCard:
    """What ``judge.json`` says about the shipped model."""

    name: str
    sha256: str
    max_tokens: int
    coverage: CoverageRule  # fitted per question by `tutor judge-calibrate` (tutor/judge/coverage.py)
    support_threshold: float

    @classmethod
    def load(cls, path: Path = CARD_PATH) -> "JudgeCard":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelUnavailableError(
                "The relevance judge's card (tutor/judge/judge.json) is missing or unreadable; reinstall the tutor.",
                detail=str(exc),
            ) from exc
        try:
            coverage = CoverageRule.from_card(data["coverage_rule"])
            return cls(name=data["name"], sha256=data["sha256"], max_tokens=int(data["max_tokens"]),
                       coverage=coverage, support_threshold=float(data["support_threshold"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelUnavailableError(
                "The relevance judge's card (tutor/judge/judge.json) is incomplete: it needs the model's hash, "
                "token budget, support threshold and a coverage rule (tutor judge-calibrate writes it).",
                detail=str(exc),
            ) from exc


def sha256_of(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class RelevanceJudge:
    """P(passage answers question) and P(passage supports statement), from one cross-encoder."""

    def __init__(self, *, model_path: Path = MODEL_PATH, card: JudgeCard | None = None, threads: int = 0,
                 batch_size: int = 16, lane: InferenceLane = IN_THREAD):
        self.model_path = Path(model_path)
        self.card = card or JudgeCard.load()
        self.threads = threads
        self.batch_size = batch_size
        self._lane = lane  # where inference runs (tutor.inference_lane); the session is created there too,
        # so onnxruntime's threads inherit the lane's priority
        self._lock = threading.Lock()  # the first use (hash check, session) happens once, whichever thread comes first
        self._opened = None

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def coverage(self) -> CoverageRule:
        return self.card.coverage

    @property
    def support_threshold(self) -> float:
        return self.card.support_threshold

    def verify(self) -> None:
        """Raise a configuration error naming the fix if the model file is missing or altered."""
        if not self.model_path.is_file():
            raise ModelUnavailableError(
                "The relevance judge model file is missing; reinstall the tutor or rebuild it "
                "(python -m tutor.judge.training.train, see tutor/judge/MODEL_CARD.md).",
                detail=f"missing {self.model_path}",
            )
        if sha256_of(self.model_path) != self.card.sha256:
            raise ModelUnavailableError(
                "The relevance judge model file does not match the hash in tutor/judge/judge.json; "
                "reinstall the tutor (or, after retraining, export it again so the card carries the new hash).",
                detail=f"{self.model_path}: sha256 mismatch",
            )

    def load(self) -> None:
        """Check the file and open the model now (otherwise on first use)."""
        self._lane.run(lambda: (self._session, self._tokenizer))

    @property
    def _session(self):
        if self._opened is None:
            with self._lock:
                if self._opened is None:
                    self._opened = self._open()
        return self._opened

    def _open(self):
        import onnxruntime as ort

        self.verify()
        options = ort.SessionOptions()
        if self.threads:
            options.intra_op_num_threads = self.threads
        options.log_severity_level = 3
        return ort.InferenceSession(str(self.model_path), sess_options=options, providers=["CPUExecutionProvider"])

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
        # longest_first: a question longer than the budget is cut too instead of failing (only_second raises)
        tokenizer.enable_truncation(max_length=self.card.max_tokens, strategy="longest_first")
        tokenizer.no_padding()
        return tokenizer

    def score(self, firsts: list[str], passages: list[str]) -> np.ndarray:
        """Probabilities for aligned (question or statement, passage) pairs."""
        if len(firsts) != len(passages):
            raise ValueError("firsts and passages must be aligned")
        if not firsts:
            return np.zeros(0, dtype=np.float32)
        pairs = [pair_inputs(f, p) for f, p in zip(firsts, passages)]
        return self._lane.run(self._probabilities, pairs)

    def _probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        session = self._session
        encodings = self._tokenizer.encode_batch(pairs)
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        logits = np.zeros(len(pairs), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            logits[batch] = self._run(session, [encodings[i] for i in batch])
        return 1.0 / (1.0 + np.exp(-logits))

    def relevance(self, question: str, passages: list[str]) -> np.ndarray:
        return self.score([question] * len(passages), passages)

    def support(self, statements: list[str], passages: list[str]) -> np.ndarray:
        return self.score(statements, passages)

    @staticmethod
    def _run(session, encodings) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            ids[row, :n], types[row, :n], mask[row, :n] = enc.ids, enc.type_ids, 1
        (out,) = session.run(["logits"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        return out.reshape(-1)


@lru_cache(maxsize=4)
def _shipped(threads: int, nice: int) -> RelevanceJudge:
    return RelevanceJudge(threads=threads, lane=inference_lane(nice))


def build_judge(settings) -> RelevanceJudge | None:
    """The judge the settings ask for: the shipped one, or none when the operator turned it off.

    One per process, thread count and priority: the ONNX session is thread-safe and about 60 MB, and
    every Services bundle in the process (the app, a CLI command, a test) can share it.
    """
    if not settings.relevance_judge:
        return None
    return _shipped(settings.judge_threads, settings.inference_nice)

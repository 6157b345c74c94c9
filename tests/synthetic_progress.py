"""A synthetic class written straight into a progress database: for dashboard scale tests
and for checking item analysis against a model whose truth is known.

Why it exists and why it looks like this:

* The dashboards must stay fast for 2,000 learners and 1,000,000 attempts
  (``tests/bench/dashboard_scale.py``). Going through ``ProgressStore.grade`` one answer
  at a time would take hours, so rows are written with bulk SQL (``executemany``, one
  transaction per batch) into a file whose schema the real store created
  (``ProgressStore(path).ensure_course(...)`` applies the migrations first). The whole
  class is simulated with numpy first; 1,000,000 attempts take about 30 s on two cores.
* Answers follow a two-parameter IRT model: learner ability theta ~ N(0, 1), item
  difficulty b ~ N(0, 1), discrimination a ~ U(0.8, 2.0) and
  P(right) = 1 / (1 + exp(-a (theta - b))). A clean item's b is drawn again until its
  expected share right is 0.3-0.9, so that it is not "very hard" or "very easy" by
  chance. Wrong answers pick a distractor with skewed, per-item weights. Each repeat of
  a question adds to the learner's effective ability (later attempts are more often
  right); first responses, which item analysis uses, follow the model exactly.
* Bad items are planted on purpose and returned with what is wrong with each, so a test
  can assert that item analysis flags exactly those: a miskeyed item (the stored key is
  the most tempting distractor: weak students pick it, strong ones the real answer), an
  item almost everyone gets right, one almost nobody gets right, one that does not
  discriminate (a = 0), and one where strong students prefer a distractor to the key.
  One "reference" item (a = 1.5, b = 0) is a typical good item.
* Attempts look like the quiz writes them: in blocks (``<block id>:<position>`` ids,
  tutor or exam mode), exam-block answers stamped together at the block's end with
  some left blank, realistic times, the question's version, rows in commit
  (chronological) order. ``question_stats`` is computed here in numpy rather than by
  ``STATS_REBUILD_SELECT`` (correlated subqueries: far too slow at a million rows);
  ``tests/unit/test_item_analysis_synthetic.py`` checks on a small class that both give
  the same table, so the generator cannot drift from the real write path.
* Review cards (valid FSRS card JSON, so the real write path can review them again),
  completed case sessions with per-objective scores and chat turns are written too, so
  every dashboard query has data. Review logs, quiz blocks and case transcripts are
  not: no dashboard reads them.

Everything is drawn from ``numpy.random.default_rng(seed)``: the same arguments give the
same database.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import repeat
from pathlib import Path
from typing import Literal

import numpy as np

from tutor.clock import to_iso
from tutor.progress.store import ProgressStore

PlantKind = Literal["miskeyed", "too_easy", "too_hard", "no_discrimination", "distractor_preferred"]
PLANT_KINDS: tuple[PlantKind, ...] = ("miskeyed", "too_easy", "too_hard", "no_discrimination", "distractor_preferred")

LETTERS = "ABCDEF"
EXAM_SHARE = 0.3  # share of blocks that are timed exam blocks
BLANK_RATE = 0.01  # share of exam answers left blank
LEARNING_GAIN = 0.4  # ability gained per earlier attempt at the same question (up to MAX_REPEATS_GAIN)
MAX_REPEATS_GAIN = 4
IDLE_SHARE = 0.01  # enrolled learners who never answered anything
DROPOUT_SHARE = 0.15  # learners who stopped some time ago (inactive on the dashboard)
DISTRACTOR_WEIGHTS = (0.5, 0.25, 0.15, 0.07, 0.03)
CLEAN_P = (0.3, 0.9)  # share right a clean item is drawn to have (item analysis flags < 0.25 and > 0.95)
BATCH = 100_000

_PROBLEMS: dict[str, str] = {
    "miskeyed": "the stored key is the most tempting distractor; strong students choose the real answer",
    "too_easy": "almost everyone answers it right (p about 0.98)",
    "too_hard": "almost nobody answers it right (p about 0.06)",
    "no_discrimination": "right or wrong regardless of ability (a = 0)",
    "distractor_preferred": "strong students prefer a distractor to the key",
}


@dataclass(frozen=True)
class ItemModel:
    """How answers to one question were generated."""

    question_id: str
    version: int
    key: str  # the key stored in the bank
    letters: str
    a: float  # discrimination of the 2PL curve (for a miskeyed item: of the real answer)
    b: float  # difficulty of that curve
    kind: PlantKind | None  # None: a clean item
    problem: str  # what is wrong with it, in words ("" for a clean item)
    attractor: str | None  # the distractor strong students choose (miskeyed: the real answer)
    expected_difficulty: float  # the model's share of right first responses over this class's abilities


@dataclass(frozen=True)
class SyntheticClass:
    """What :func:`generate` wrote."""

    course_id: str
    now: datetime
    learner_ids: tuple[int, ...]
    usernames: tuple[str, ...]
    abilities: tuple[float, ...]  # theta of each learner, in learner_ids order
    attempts_per_learner: tuple[int, ...]
    items: Mapping[str, ItemModel]  # every question, clean and planted
    reference_item: str  # a typical good item (a = 1.5, b = 0): item analysis must not flag it
    attempts: int
    question_stats: int
    review_cards: int
    case_sessions: int
    case_scores: int
    chat_turns: int
    seconds: float

    @property
    def planted(self) -> dict[str, ItemModel]:
        """question id -> model, for the deliberately bad items."""
        return {qid: item for qid, item in self.items.items() if item.kind is not None}

    @property
    def clean(self) -> list[str]:
        return [qid for qid, item in self.items.items() if item.kind is None]


def generate(
    progress_db: Path,
    *,
    course_id: str,
    questions: Sequence[tuple[str, str, int, int]],
    learners: int,
    attempts: int,
    seed: int,
    now: datetime,
    days: int = 180,
    planted: Sequence[PlantKind] = PLANT_KINDS,
    cases: Sequence[tuple[str, str | None, Sequence[str]]] = (),
    course_title: str | None = None,
    batch: int = BATCH,
) -> SyntheticClass:
    """Write a class of ``learners`` students with ``attempts`` attempts into ``progress_db``.

    ``questions`` are (id, key letter, number of options, version) of the bank's questions;
    one question per ``planted`` kind, chosen at random, is made bad in that way. ``cases``
    are (case id, content hash or None, objective ids) of cases students completed
    (default: three made-up cases). Attempts fall in the ``days`` before ``now``.
    """
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    if len(questions) < len(planted) + 1:
        raise ValueError(f"need at least {len(planted) + 1} questions to plant {len(planted)} bad items")
    if any(n < 3 or n > len(LETTERS) or key not in LETTERS[:n] for _, key, n, _ in questions):
        raise ValueError("every question needs 3-6 options and a key among them")
    cases = list(cases) or [(f"synthetic-case-{k}", None, ("history", "diagnosis", "management")) for k in range(1, 4)]
    ProgressStore(progress_db, now=lambda: now).ensure_course(course_id, course_title or course_id.replace("-", " ").title())

    now_us = _micros(now)
    span_us = days * 86_400_000_000
    theta = rng.normal(0.0, 1.0, learners)
    items, model = _items(questions, planted, rng)
    counts = _attempt_counts(learners, attempts, rng)
    sim = _simulate(counts, len(questions), now_us, span_us, rng)
    chosen, correct = _answer(sim, theta, model, rng)
    blank = BLANK_RATE * float(sim.exam.mean()) if sim.n else 0.0  # exam blocks are longer: over EXAM_SHARE of answers
    expected = _expected_difficulty(model, theta[counts > 0], blank)
    position = {q[0]: i for i, q in enumerate(questions)}
    items = {qid: _with_expected(item, expected[position[qid]]) for qid, item in items.items()}

    conn = sqlite3.connect(progress_db, timeout=60)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA cache_size=-262144")  # 256 MiB: the attempt indexes stay in memory while inserting
        (base_id,) = conn.execute("SELECT COALESCE(max(id), 0) FROM learners").fetchone()
        learner_ids = np.arange(base_id + 1, base_id + 1 + learners)
        width = max(4, len(str(learners)))
        usernames = [f"student-{i:0{width}d}" for i in range(1, learners + 1)]
        _write_learners(conn, course_id, learner_ids, usernames, now_us - span_us - 86_400_000_000)
        n_stats, n_cards = _write_attempts(conn, course_id, questions, learner_ids, sim, chosen, correct, now_us, batch, rng)
        n_sessions, n_scores = _write_cases(conn, learner_ids, theta, sim, cases, now_us, rng)
        n_chats = _write_chats(conn, course_id, learner_ids, sim, rng)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()

    reference = next(qid for qid, item in items.items() if item.kind is None)
    return SyntheticClass(
        course_id=course_id, now=now, learner_ids=tuple(int(i) for i in learner_ids), usernames=tuple(usernames),
        abilities=tuple(float(t) for t in theta), attempts_per_learner=tuple(int(c) for c in counts), items=items,
        reference_item=reference, attempts=int(sim.n), question_stats=n_stats, review_cards=n_cards,
        case_sessions=n_sessions, case_scores=n_scores, chat_turns=n_chats, seconds=time.perf_counter() - started,
    )


# -- the model ------------------------------------------------------------------------------


@dataclass
class _Model:
    """Per-item arrays (index = position in ``questions``)."""

    a: np.ndarray
    b: np.ndarray
    key: np.ndarray  # option index of the stored key
    answer: np.ndarray  # option index the 2PL curve gives (the key, except for a miskeyed item)
    attractor: np.ndarray  # option index of the attractive distractor, -1 if none
    kind: list[PlantKind | None]
    cumweights: np.ndarray  # (items, 6): cumulative choice weights of the wrong options
    n_options: np.ndarray


def _items(
    questions: Sequence[tuple[str, str, int, int]], planted: Sequence[PlantKind], rng: np.random.Generator
) -> tuple[dict[str, ItemModel], _Model]:
    n = len(questions)
    a = rng.uniform(0.8, 2.0, n)
    b = np.array([_clean_difficulty(a_i, rng) for a_i in a])
    kinds: list[PlantKind | None] = [None] * n
    picks = rng.choice(n, size=len(planted) + 1, replace=False)
    for index, kind in zip(picks, planted):
        kinds[index] = kind
    reference = picks[-1]
    # The reference item comes first among the clean ones so SyntheticClass can name it.
    order = [reference] + [i for i in range(n) if i != reference]
    a[reference], b[reference] = 1.5, 0.0
    key = np.array([LETTERS.index(q[1]) for q in questions])
    n_options = np.array([q[2] for q in questions])
    answer = key.copy()
    attractor = np.full(n, -1)
    for i, kind in enumerate(kinds):
        if kind is None:
            continue
        others = [o for o in range(n_options[i]) if o != key[i]]
        if kind == "miskeyed":
            answer[i] = attractor[i] = rng.choice(others)
            a[i], b[i] = 1.6, -0.3
        elif kind == "too_easy":
            a[i], b[i] = 1.2, -4.0
        elif kind == "too_hard":
            a[i], b[i] = 1.2, 2.8
        elif kind == "no_discrimination":
            a[i], b[i] = 0.0, 0.0
        elif kind == "distractor_preferred":
            attractor[i] = rng.choice(others)
    cumweights = np.zeros((n, len(LETTERS)))
    for i in range(n):
        wrong = [o for o in range(n_options[i]) if o != answer[i]]
        weights = np.array(DISTRACTOR_WEIGHTS[: len(wrong)])
        shares = np.zeros(len(LETTERS))
        ranked = list(rng.permutation(wrong))
        if kinds[i] == "miskeyed":  # the stored key is the most tempting wrong answer: weak students pick it
            ranked.remove(key[i])
            ranked.insert(0, key[i])
        shares[ranked] = weights / weights.sum()
        cumweights[i] = np.cumsum(shares)
    model = _Model(a, b, key, answer, attractor, kinds, cumweights, n_options)
    items = {}
    for i in order:
        qid, letter, n_opt, version = questions[i]
        kind = kinds[i]
        items[qid] = ItemModel(
            question_id=qid, version=version, key=letter, letters=LETTERS[:n_opt], a=float(a[i]), b=float(b[i]),
            kind=kind, problem=_PROBLEMS.get(kind, "") if kind else "",
            attractor=LETTERS[attractor[i]] if attractor[i] >= 0 else None, expected_difficulty=float("nan"),
        )
    return items, model


def _clean_difficulty(a: float, rng: np.random.Generator) -> float:
    """b ~ N(0, 1), drawn again until the class's share right lies in CLEAN_P.

    The share is the logistic-normal approximation sigmoid(-a b / sqrt(1 + a^2 pi / 8)).
    Without the redraw a steep item with b = 1.2 is answered right by under 25% and is
    rightly flagged "very hard": a clean item must not be a bad item by chance.
    """
    while True:
        b = float(rng.normal(0.0, 1.0))
        p = 1 / (1 + math.exp(a * b / math.sqrt(1 + a * a * math.pi / 8)))
        if CLEAN_P[0] <= p <= CLEAN_P[1]:
            return b


def _with_expected(item: ItemModel, p: float) -> ItemModel:
    return ItemModel(**{**item.__dict__, "expected_difficulty": float(p)})


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _p_attractor(theta: np.ndarray) -> np.ndarray:
    """distractor_preferred: the pull of the attractive distractor rises steeply with ability."""
    return 0.05 + 0.8 * _sigmoid(3.0 * (theta - 0.3))


def _p_key_given_not_attractor(theta: np.ndarray) -> np.ndarray:
    return _sigmoid(1.5 * (theta + 0.5))


def _p_key(model: _Model, i: int, theta: np.ndarray) -> np.ndarray:
    """The model's probability that an answer is the stored key (before blanks)."""
    kind = model.kind[i]
    if kind == "distractor_preferred":
        return (1 - _p_attractor(theta)) * _p_key_given_not_attractor(theta)
    p = _sigmoid(model.a[i] * (theta - model.b[i]))
    if kind == "miskeyed":
        weights = np.diff(np.concatenate([[0.0], model.cumweights[i]]))
        return (1 - p) * weights[model.key[i]]
    return p


def _expected_difficulty(model: _Model, theta: np.ndarray, blank: float) -> np.ndarray:
    """Share of right first responses the model predicts, averaged over the abilities of those who answered."""
    if len(theta) == 0:
        return np.full(len(model.a), np.nan)
    return np.array([(1 - blank) * _p_key(model, i, theta).mean() for i in range(len(model.a))])


# -- who answered what, when ----------------------------------------------------------------


def _attempt_counts(learners: int, attempts: int, rng: np.random.Generator) -> np.ndarray:
    """Attempts per learner: lognormal activity, a few enrolled learners who never started."""
    weights = rng.lognormal(0.0, 0.6, learners)
    idle = rng.choice(learners, size=int(round(learners * IDLE_SHARE)), replace=False)
    weights[idle] = 0.0
    return rng.multinomial(attempts, weights / weights.sum())


@dataclass
class _Sim:
    """Every attempt, in commit (chronological) order."""

    n: int
    learner: np.ndarray  # learner index
    question: np.ndarray  # question index
    repeat: np.ndarray  # earlier attempts by this learner at this question
    block: np.ndarray  # block index
    position: np.ndarray  # position in its block
    exam: np.ndarray  # bool: exam-mode block
    answered_us: np.ndarray  # answered_at, microseconds since the epoch
    taken_ms: np.ndarray
    block_ids: list[str]
    span: dict[int, tuple[int, int]]  # learner index -> (first, last) activity


def _simulate(counts: np.ndarray, n_questions: int, now_us: int, span_us: int, rng: np.random.Generator) -> _Sim:
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("learner", "question", "repeat", "block", "position", "exam", "at", "taken")}
    block_ids: list[str] = []
    span: dict[int, tuple[int, int]] = {}
    for learner, n in enumerate(counts.tolist()):
        if n == 0:
            continue
        # Unseen questions first, then round after round of repeats, like the quiz's selection.
        cycles = -(-n // n_questions)
        sequence = np.argsort(rng.random((cycles, n_questions)), axis=1).ravel()[:n]
        repeats = np.arange(n) // n_questions
        # Blocks: tutor sets of 5-20 questions, exam blocks of 20-40.
        sizes, exams = [], []
        total = 0
        while total < n:
            exam = rng.random() < EXAM_SHARE
            size = int(rng.integers(20, 41) if exam else rng.integers(5, 21))
            size = min(size, n - total)
            sizes.append(size)
            exams.append(exam)
            total += size
        sizes_a = np.array(sizes)
        exams_a = np.array(exams)
        block_of = np.repeat(np.arange(len(sizes)), sizes_a)
        exam_row = exams_a[block_of]
        position = np.arange(n) - np.repeat(np.cumsum(sizes_a) - sizes_a, sizes_a)
        taken = np.clip(rng.lognormal(math.log(45_000), 0.6, n), 3_000, 600_000).astype(np.int64)
        # Blocks run one after another, with random gaps, over the learner's active span.
        durations = np.bincount(block_of, weights=taken, minlength=len(sizes)).astype(np.int64)
        begin = now_us - span_us + int(rng.uniform(0, 0.2) * span_us)
        if rng.random() < DROPOUT_SHARE:
            end = now_us - int(rng.uniform(0.05, 0.4) * span_us)
        else:
            end = now_us - int(rng.uniform(0, 2) * 86_400_000_000)
        free = max(end - begin - int(durations.sum()), len(sizes))
        gaps = rng.exponential(1.0, len(sizes))
        gaps = (gaps / gaps.sum() * free).astype(np.int64)
        starts = begin + np.cumsum(gaps) + np.concatenate([[0], np.cumsum(durations)[:-1]])
        # Tutor mode stamps each answer when given; an exam block stamps all its answers when it ends.
        within = np.cumsum(taken) - np.repeat(np.cumsum(durations) - durations, sizes_a)
        at = np.where(exam_row, (starts + durations)[block_of], starts[block_of] + within)
        span[learner] = (int(at.min()), int(at.max()))
        base = len(block_ids)
        block_ids.extend(str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in sizes)
        for name, values in (("learner", np.full(n, learner)), ("question", sequence), ("repeat", repeats),
                             ("block", block_of + base), ("position", position), ("exam", exam_row), ("at", at),
                             ("taken", taken)):
            parts[name].append(values)
    if not block_ids:
        empty = np.zeros(0, dtype=np.int64)
        return _Sim(0, empty, empty, empty, empty, empty, empty.astype(bool), empty, empty, [], span)
    joined = {name: np.concatenate(values) for name, values in parts.items()}
    order = np.lexsort((joined["position"], joined["block"], joined["at"]))  # commit order
    j = {name: values[order] for name, values in joined.items()}
    return _Sim(len(order), j["learner"], j["question"], j["repeat"], j["block"], j["position"], j["exam"].astype(bool),
                j["at"], j["taken"], block_ids, span)


def _answer(sim: _Sim, theta: np.ndarray, model: _Model, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Chosen option index (-1 = blank) and correctness of every attempt."""
    q = sim.question
    ability = theta[sim.learner] + LEARNING_GAIN * np.minimum(sim.repeat, MAX_REPEATS_GAIN)
    u, u_wrong = rng.random(sim.n), rng.random(sim.n)
    right = u < _sigmoid(model.a[q] * (ability - model.b[q]))
    distractor = (u_wrong[:, None] < model.cumweights[q]).argmax(axis=1)
    chosen = np.where(right, model.answer[q], distractor)
    for i, kind in enumerate(model.kind):
        if kind != "distractor_preferred":
            continue
        rows = np.flatnonzero(q == i)
        t = ability[rows]
        pull = rng.random(len(rows)) < _p_attractor(t)
        key = ~pull & (rng.random(len(rows)) < _p_key_given_not_attractor(t))
        others = [o for o in range(model.n_options[i]) if o not in (model.key[i], model.attractor[i])]
        rest = rng.choice(others, size=len(rows))
        chosen[rows] = np.where(pull, model.attractor[i], np.where(key, model.key[i], rest))
    blank = sim.exam & (rng.random(sim.n) < BLANK_RATE)
    chosen = np.where(blank, -1, chosen)
    return chosen, chosen == model.key[q]


# -- writing --------------------------------------------------------------------------------


def _write_learners(conn: sqlite3.Connection, course_id: str, ids: np.ndarray, usernames: list[str],
                    enrolled_us: int) -> None:
    """Students and their enrolments, all enrolled the day before the period starts."""
    enrolled = _iso(np.full(len(ids), enrolled_us))
    with conn:
        conn.executemany(
            "INSERT INTO learners (id, username, display_name, role, created_at) VALUES (?, ?, ?, 'student', ?)",
            zip(ids.tolist(), usernames, (name.replace("student-", "Student ") for name in usernames), enrolled),
        )
        conn.executemany(
            "INSERT INTO enrollments (learner_id, course_id, role, enrolled_at) VALUES (?, ?, 'student', ?)",
            zip(ids.tolist(), repeat(course_id), enrolled),
        )


def _write_attempts(conn: sqlite3.Connection, course_id: str, questions: Sequence[tuple[str, str, int, int]],
                    learner_ids: np.ndarray, sim: _Sim, chosen: np.ndarray, correct: np.ndarray, now_us: int,
                    batch: int, rng: np.random.Generator) -> tuple[int, int]:
    qids = [q[0] for q in questions]
    versions = [q[3] for q in questions]
    letters = [None if c < 0 else LETTERS[c] for c in range(-1, len(LETTERS))]  # index c + 1
    answered = _iso(sim.answered_us)
    chosen_text = [letters[c + 1] for c in chosen.tolist()]
    learner_col = learner_ids[sim.learner].tolist()
    question_col = [qids[i] for i in sim.question.tolist()]
    version_col = [versions[i] for i in sim.question.tolist()]
    taken = [None if c is None else t for c, t in zip(chosen_text, sim.taken_ms.tolist())]
    modes = ["exam" if e else "tutor" for e in sim.exam.tolist()]
    blocks = [sim.block_ids[b] for b in sim.block.tolist()]
    attempt_ids = [f"{b}:{p}" for b, p in zip(blocks, sim.position.tolist())]
    rows = list(zip(attempt_ids, learner_col, repeat(course_id), question_col, version_col, chosen_text,
                    correct.astype(int).tolist(), taken, modes, blocks, answered))
    for start in range(0, len(rows), batch):
        with conn:
            conn.executemany(
                "INSERT INTO attempts (attempt_id, learner_id, course_id, question_id, question_version, chosen_option,"
                " correct, time_taken_ms, mode, block_id, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows[start:start + batch],
            )
    del rows
    stats = question_stats_rows(course_id, learner_col, question_col, version_col, chosen_text,
                                correct.astype(int).tolist(), answered)
    with conn:
        conn.executemany(
            "INSERT INTO question_stats (learner_id, course_id, question_id, question_version, attempts, correct,"
            " first_chosen, first_correct, first_at, last_chosen, last_correct, last_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            stats,
        )
    cards = list(_review_cards(stats, now_us, rng))
    with conn:
        conn.executemany(
            "INSERT INTO review_cards (learner_id, question_id, card_json, due, state, last_review, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            cards,
        )
    return len(stats), len(cards)


def question_stats_rows(
    course_id: str,
    learner: Sequence[int],
    question: Sequence[str],
    version: Sequence[int | None],
    chosen: Sequence[str | None],
    correct: Sequence[int],
    answered_at: Sequence[str],
) -> list[tuple]:
    """``question_stats`` rows for attempts given in rowid (insertion) order.

    The same summary ``_insert_attempt`` keeps and ``STATS_REBUILD_SELECT`` rebuilds: per
    (learner, question, version; a missing version counts as 1) the number of attempts and
    right answers, and the first and latest answer by ``answered_at``, ties broken by rowid.
    """
    n = len(learner)
    if n == 0:
        return []
    keys = list(zip(learner, question, (v or 1 for v in version)))
    index = {key: g for g, key in enumerate(dict.fromkeys(keys))}
    group = np.fromiter((index[k] for k in keys), dtype=np.int64, count=n)
    stamps, stamp_codes = np.unique(np.asarray(answered_at), return_inverse=True)  # sorted codes keep time order
    order = np.lexsort((np.arange(n), stamp_codes, group))
    g = group[order]
    starts = np.flatnonzero(np.concatenate([[True], g[1:] != g[:-1]]))
    ends = np.concatenate([starts[1:], [n]]) - 1
    first, last = order[starts], order[ends]
    right = np.asarray(correct, dtype=np.int64)
    corrects = np.add.reduceat(right[order], starts)
    group_keys = list(index)
    rows = []
    for k, (gi, f, l) in enumerate(zip(g[starts].tolist(), first.tolist(), last.tolist())):
        learner_id, question_id, question_version = group_keys[gi]
        rows.append((learner_id, course_id, question_id, question_version, int(ends[k] - starts[k] + 1),
                     int(corrects[k]), chosen[f], int(correct[f]), answered_at[f], chosen[l], int(correct[l]),
                     answered_at[l]))
    return rows


def _review_cards(stats: list[tuple], now_us: int, rng: np.random.Generator) -> Iterable[tuple]:
    """One FSRS card per answered question, due according to how the latest answers went."""
    for learner, _, question, _, attempts, correct, _, _, _, _, last_correct, last_at in stats:
        last = datetime.fromisoformat(last_at)
        digest = hashlib.sha256(f"{learner}:{question}".encode()).digest()
        difficulty = float(np.clip(rng.normal(5.0, 1.5), 1.0, 10.0))
        if last_correct:
            stability = 2.5 * 2.2 ** min(correct, 6) * float(rng.uniform(0.7, 1.3))
            state, step, due = 2, None, last + timedelta(days=stability)
        else:
            stability, state, step, due = float(rng.uniform(0.3, 1.5)), 3, 0, last + timedelta(minutes=10)
        card = {"card_id": int.from_bytes(digest[:6], "big"), "state": state, "step": step,
                "stability": round(stability, 4), "difficulty": difficulty, "due": to_iso(due), "last_review": last_at}
        yield (learner, question, json.dumps(card, separators=(",", ":")), to_iso(due), state, last_at, last_at)


def _write_cases(conn: sqlite3.Connection, learner_ids: np.ndarray, theta: np.ndarray, sim: _Sim,
                 cases: Sequence[tuple[str, str | None, Sequence[str]]], now_us: int,
                 rng: np.random.Generator) -> tuple[int, int]:
    """Completed case sessions with per-objective scores (a few overridden), and some still active."""
    sessions, scores = [], []
    for learner, (first, last) in sorted(sim.span.items()):
        lid = int(learner_ids[learner])
        done = min(int(rng.poisson(1.5)), len(cases))
        for c in rng.choice(len(cases), size=done, replace=False).tolist():
            case_id, case_hash, objectives = cases[c]
            start = int(rng.integers(first, max(last, first + 1)))
            end = start + int(rng.integers(15, 45)) * 60_000_000
            s_iso, e_iso = _iso(np.array([start, end]))
            session = str(uuid.UUID(bytes=rng.bytes(16), version=4))
            earned_total = possible_total = 0.0
            for objective in objectives:
                possible = float(rng.integers(2, 5))
                earned = float(rng.binomial(int(possible), float(_sigmoid(np.array(theta[learner] + 0.5)))))
                earned_total, possible_total = earned_total + earned, possible_total + possible
                scores.append((session, lid, case_id, objective, earned, possible, e_iso))
            score = earned_total / possible_total if possible_total else 0.0
            override = round(min(1.0, score + 0.1), 2) if rng.random() < 0.02 else None
            state = json.dumps({"step": 9, "case_hash": case_hash})
            sessions.append((session, lid, case_id, "completed", state, "completed", score, s_iso, e_iso, e_iso,
                             override, "synthetic regrade" if override is not None else None,
                             "instructor" if override is not None else None, e_iso if override is not None else None))
        if rng.random() < 0.1:
            case_id, case_hash, _ = cases[int(rng.integers(len(cases)))]
            (s_iso,) = _iso(np.array([last]))
            sessions.append((str(uuid.UUID(bytes=rng.bytes(16), version=4)), lid, case_id, "history",
                             json.dumps({"step": 1, "case_hash": case_hash}), "active", None, s_iso, s_iso, None,
                             None, None, None, None))
    with conn:
        conn.executemany(
            "INSERT INTO case_sessions (session_id, learner_id, case_id, stage, state_json, status, score, started_at,"
            " updated_at, completed_at, score_override, override_reason, override_by, overridden_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            sessions,
        )
        conn.executemany(
            "INSERT INTO case_scores (session_id, learner_id, case_id, objective, earned, possible, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            scores,
        )
    return len(sessions), len(scores)


def _write_chats(conn: sqlite3.Connection, course_id: str, learner_ids: np.ndarray, sim: _Sim,
                 rng: np.random.Generator) -> int:
    rows = []
    for learner, (first, last) in sorted(sim.span.items()):
        n = int(rng.poisson(4))
        if n == 0:
            continue
        times = _iso(np.sort(rng.integers(first, max(last, first + 1), n)))
        conversation = str(uuid.UUID(bytes=rng.bytes(16), version=4))
        for k, at in enumerate(times):
            rows.append((str(uuid.UUID(bytes=rng.bytes(16), version=4)), int(learner_ids[learner]), course_id,
                         conversation, f"Synthetic question {k + 1}", "Synthetic answer.", 1,
                         "explain" if k % 3 else "socratic", "complete", int(rng.integers(800, 9000)), at))
    with conn:
        conn.executemany(
            "INSERT INTO chat_turns (turn_id, learner_id, course_id, conversation_id, question, answer, grounded, mode,"
            " status, latency_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


# -- time -----------------------------------------------------------------------------------


def _micros(moment: datetime) -> int:
    return int(round(moment.timestamp() * 1_000_000))


def _iso(micros: np.ndarray) -> list[str]:
    """Microseconds since the epoch -> the store's timestamp text (``tutor.clock.to_iso``)."""
    text = np.datetime_as_string(np.asarray(micros, dtype=np.int64).astype("datetime64[us]"), unit="us")
    return [f"{t}+00:00" for t in text.tolist()]

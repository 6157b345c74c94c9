"""Load test: a class against the multi-process deployment, then count every stored row.

    python -m tests.load.class_load --students 100 --minutes 5 [--apps 2] [--documents 200] [--kill-at 0.5]

It starts what an operator would (``tutor school``: a Chroma server, a job worker, N app
processes behind HAProxy) on loopback, with the bundled curriculum, questions and cases
and a fake OpenAI-compatible model server that streams at a model's pace (so the run
measures the app, not a model). ``--students`` simulated students (``tests.load.students``,
Streamlit's own protocol, no browser) sign in and answer questions, step through cases and
ask for ``--minutes``, while an instructor's ``tutor ingest`` of ``--documents`` new
documents runs as a job. ``--kill-at 0.5`` kills one app process half-way: its students
open the app again and sign in on the other.

Afterwards: every acknowledged quiz answer, case step and chat turn must be in progress.db
exactly once, and the index must hold exactly the registry's passages. The report (p50,
p95, p99 per action, errors, reconnects, the checks) is printed and written as JSON; case
steps are also reported apart by who placed the request (the findings matcher, or the
model when the matcher could not: a model round trip), read from the stored turns.
Bounded: loopback only, every wait has a timeout, the run stops at its deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from tests.accounts import PASSWORD
from tests.fake_openai import fake_openai
from tests.load.students import Student, Tally
from tests.network import OFFLINE_ENV
from tests.school_set import TUTOR, running_school
from tutor.settings import PROJECT_ROOT, Settings

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--apps", type=int, default=2)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--kill-at", type=float, default=None, help="fraction of the run at which app-1 is killed")
    parser.add_argument("--think", type=float, nargs=2, default=(3.0, 10.0), metavar=("MIN_S", "MAX_S"))
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "test-artifacts" / "load.json")
    args = parser.parse_args(argv)
    report = run_class(students=args.students, seconds=args.minutes * 60, apps=args.apps, documents=args.documents,
                       kill_at=args.kill_at, think_s=tuple(args.think))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


def run_class(*, students: int, seconds: float, apps: int = 2, documents: int = 0, kill_at: float | None = None,
              think_s: tuple[float, float] = (3.0, 10.0), root: Path | None = None, seed: int = 7) -> dict:
    root = Path(root or tempfile.mkdtemp(prefix="tutor-load-"))
    data = root / "data"
    usernames = [f"student{n:03d}" for n in range(students)]
    _add_students(data, usernames)
    env = {**os.environ, **OFFLINE_ENV, "TUTOR_DATA_DIR": str(data), "TUTOR_LLM_PROVIDER": "openai",
           "TUTOR_OPENAI_API_KEY": "load-test", "TUTOR_LLM_CONCURRENCY": "8"}
    status = data / "school" / "status.json"
    with fake_openai(word_delay_s=0.05) as model:  # ~20 words/s: a served model's pace
        with running_school(root, {**env, "TUTOR_OPENAI_BASE_URL": model.base_url}, apps) as (url, _ports):
            ingest = _ingest_in_background(root, data, documents)
            tally = Tally()
            rng = random.Random(seed)
            deadline = time.monotonic() + seconds
            crowd = [Student(n, name, PASSWORD, url, tally, random.Random(rng.random()), think_s)
                     for n, name in enumerate(usernames)]
            killer = _kill_later(status, seconds * kill_at) if kill_at is not None else None
            asyncio.run(_all(crowd, deadline))
            if killer is not None:
                killer.join()
            if documents:
                ingest.join(timeout=900)
    placed_by = _case_placement(data)
    checks = _checks(data, tally, usernames, placed_by)
    return _report(tally, checks, placed_by, ingest, students=students, seconds=seconds, apps=apps, documents=documents,
                   killed=killer.killed if killer else None)


async def _all(crowd: list[Student], deadline: float) -> None:
    await asyncio.gather(*(student.run(deadline) for student in crowd))


def _add_students(data: Path, usernames: list[str]) -> None:
    from tutor.clock import utc_now
    from tutor.modes.access import Actor
    from tutor.modes.accounts.service import AccountService
    from tutor.progress.accounts import AccountStore
    from tutor.progress.store import ProgressStore

    settings = Settings(data_dir=data)
    progress = ProgressStore(settings.progress_db)
    progress.ensure_course(settings.course, settings.course.replace("-", " ").title())
    accounts = AccountService(store=AccountStore(settings.progress_db), progress=progress, course_id=settings.course,
                              now=utc_now)
    for name in usernames:
        accounts.add(Actor.operator(), name, name.title(), "student", PASSWORD)


class _Ingest(threading.Thread):
    """An instructor's `tutor ingest` of a folder of new documents, run by the worker as a job."""

    def __init__(self, folder: Path, data: Path):
        super().__init__(daemon=True)
        self.folder, self.data = folder, data
        self.seconds: float | None = None
        self.returncode: int | None = None

    def run(self) -> None:
        started = time.monotonic()
        env = {**os.environ, **OFFLINE_ENV, "TUTOR_DATA_DIR": str(self.data)}
        done = subprocess.run([TUTOR, "ingest", str(self.folder), "--json"], env=env, cwd=PROJECT_ROOT,
                              capture_output=True, text=True, timeout=900)
        self.returncode, self.seconds = done.returncode, round(time.monotonic() - started, 1)


def _ingest_in_background(root: Path, data: Path, documents: int) -> _Ingest:
    folder = root / "uploads"
    folder.mkdir(exist_ok=True)
    for n in range(documents):
        (folder / f"handout-{n:03d}.md").write_text(
            f"---\ntitle: Handout {n}\n---\n# Handout {n}\n\n## Key points\n\n"
            + " ".join(f"Point {k} of handout {n}: monitor fluid balance, electrolytes and renal function daily."
                       for k in range(6)) + "\n")
    ingest = _Ingest(folder, data)
    if documents:
        ingest.start()
    return ingest


class _Killer(threading.Thread):
    def __init__(self, status: Path, after_s: float):
        super().__init__(daemon=True)
        self.status, self.after_s = status, after_s
        self.killed: dict | None = None

    def run(self) -> None:
        time.sleep(self.after_s)
        pid = json.loads(self.status.read_text())["children"]["app-1"]["pid"]
        try:
            os.kill(pid, signal.SIGKILL)
            self.killed = {"process": "app-1", "pid": pid, "at_s": round(self.after_s, 1)}
        except ProcessLookupError:
            self.killed = {"process": "app-1", "pid": pid, "at_s": None}  # the run had already ended


def _kill_later(status: Path, after_s: float) -> _Killer:
    killer = _Killer(status, after_s)
    killer.start()
    return killer


def _case_placement(data: Path) -> dict[str, str]:
    """Each stored case request -> how the tutor's reply placed it (tutor.modes.cases.matching: words, similar, model, none)."""
    with sqlite3.connect(data / "progress.db") as db:
        return dict(db.execute(
            "select s.content, json_extract(t.meta_json, '$.how') from case_turns s join case_turns t "
            "on t.session_id = s.session_id and t.turn_index = s.turn_index + 1 where s.role = 'student'"))


def _checks(data: Path, tally: Tally, usernames: list[str], placed_by: dict[str, str]) -> dict:
    """Every acknowledged write stored exactly once; the index equal to the registry."""
    with sqlite3.connect(data / "progress.db") as db:
        ids = dict(db.execute("select username, id from learners"))
        stored_answers = Counter({name: n for name, n in db.execute(
            "select l.username, count(*) from attempts a join learners l on l.id = a.learner_id group by 1")})
        case_rows = Counter(r[0] for r in db.execute("select content from case_turns where role = 'student'"))
        chat_rows = Counter(r[0] for r in db.execute("select question from chat_turns"))
        doubled = db.execute("select count(*) from (select 1 from attempts where block_id is not null "
                             "group by learner_id, block_id, question_id having count(*) > 1)").fetchone()[0]
    # an answer sent when the connection went may be stored or not, never twice
    answers_off = {n: (tally.answers[n], tally.unacknowledged[n], stored_answers[n]) for n in usernames
                   if not tally.answers[n] <= stored_answers[n] <= tally.answers[n] + tally.unacknowledged[n]}
    cases_off = [r for r in tally.case_steps if case_rows[r] != 1]
    chats_off = [q for q in tally.questions if chat_rows[q] != 1]
    doubts_off = [t for t in tally.in_doubt if case_rows[t] > 1 or chat_rows[t] > 1]
    index = _index_check(data)
    return {"quiz_answers_acknowledged": sum(tally.answers.values()), "quiz_answers_stored": sum(stored_answers.values()),
            "quiz_answers_unacknowledged": sum(tally.unacknowledged.values()),
            "quiz_answers_mismatched_students": answers_off, "quiz_answers_stored_twice": doubled,
            "writes_in_doubt": len(tally.in_doubt), "writes_in_doubt_stored_twice": doubts_off,
            "case_steps_acknowledged": len(tally.case_steps), "case_steps_not_stored_once": cases_off[:10],
            "case_steps_placed_by": dict(Counter(placed_by.get(r, "unknown") for r in tally.case_steps)),
            "chat_turns_acknowledged": len(tally.questions), "chat_turns_not_stored_once": chats_off[:10],
            "students_known": len(ids), **index}


def _index_check(data: Path) -> dict:
    """Start a Chroma server on the stopped set's folder and compare the index with the registry."""
    from tests.chroma_server import ChromaServer
    from tutor.index.ingest import index_gaps
    from tutor.services import build_services

    with ChromaServer(data / "chroma-server") as server:
        services = build_services(Settings(data_dir=data, chroma_url=server.url, jobs_in_app=False))
        orphans, missing = index_gaps(services.index, services.registry)
        return {"documents": len(services.documents()), "passages": services.registry.count_chunks(),
                "vectors": services.index.count(), "orphan_vectors": len(orphans), "passages_without_vector": len(missing)}


def _percentiles(values: list[float]) -> dict:
    ms = sorted(v * 1000 for v in values)
    if len(ms) < 2:
        return {"n": len(ms), "p50_ms": round(ms[0]) if ms else None}
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return {"n": len(ms), "p50_ms": round(q[49]), "p95_ms": round(q[94]), "p99_ms": round(q[98]), "max_ms": round(ms[-1])}


def _report(tally: Tally, checks: dict, placed_by: dict[str, str], ingest: _Ingest, **run) -> dict:
    ok = (not tally.errors and not checks["quiz_answers_mismatched_students"] and not checks["case_steps_not_stored_once"]
          and not checks["quiz_answers_stored_twice"] and not checks["writes_in_doubt_stored_twice"]
          and not checks["chat_turns_not_stored_once"] and checks["orphan_vectors"] == 0
          and checks["passages_without_vector"] == 0 and (not run["documents"] or ingest.returncode == 0))
    timings = dict(tally.timings)
    for label, kinds in (("case step, placed by the findings matcher", ("words", "similar")),
                         ("case step, sent to the model", ("model", "none"))):
        timings[label] = [s for text, s in tally.case_steps.items() if placed_by.get(text) in kinds]
    return {"ok": ok, "run": run, "actions": {name: _percentiles(v) for name, v in sorted(timings.items()) if v},
            "errors": len(tally.errors), "error_examples": tally.errors[:10], "reconnects": tally.reconnects,
            "ingest": {"documents": run["documents"], "seconds": ingest.seconds, "returncode": ingest.returncode},
            "checks": checks}


if __name__ == "__main__":
    sys.exit(main())

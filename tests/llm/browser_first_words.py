"""Time, in Chromium, how fast a student sees the evidence and the first words of the explanation,
with the real local model (a script, not part of the pytest run).

    .venv/bin/python -m tests.llm.browser_first_words                 # held-out half, in-scope questions
    .venv/bin/python -m tests.llm.browser_first_words --limit 6 --data /tmp/ready-data-folder

The app runs as `streamlit run` (the e2e helpers' ``serve``) on a data folder with the bundled
curriculum ingested (a fresh temporary one unless ``--data`` names a ready one), signed in as a
student; one warm-up question starts the model, then every in-scope question of
``retrieval-part2.jsonl`` is asked in a new conversation. An observer inside the page stamps, from
the Enter key: the evidence heading visible, the first explanation words before the streaming
cursor, and the script run finished. Figures go to ``test-artifacts/browser-first-words.json``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.accounts import add_account
from tests.e2e.conftest import app_page, launch_chromium, serve, sign_in, wait_for_app_run
from tutor.errors import TutorError
from tutor.services import build_services
from tutor.settings import PROJECT_ROOT, Settings

QUESTIONS = PROJECT_ROOT / "tests" / "evals" / "data" / "retrieval-part2.jsonl"
CURRICULUM = PROJECT_ROOT / "content" / "curriculum"
USER = "walker"
WARM_UP = "What is the emergency treatment for a high potassium?"

# In-page observer: timestamps (performance.now) of the first moment each thing is visible in the
# newest assistant message after Enter was pressed in the chat input.
OBSERVER = r"""
() => {
  const w = window.__walk = {t0: null, evidence: null, first_text: null, final: null, idle: null,
                             declined: false, notes: []};
  if (window.__walkObs) window.__walkObs.disconnect();
  const input = document.querySelector('[data-testid="stChatInputTextArea"]');
  input.addEventListener('keydown', e => { if (e.key === 'Enter' && w.t0 === null) w.t0 = performance.now(); },
                         {capture: true});
  const check = () => {
    if (w.t0 === null) return;
    const now = performance.now();
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app && app.getAttribute('data-test-script-state');
    if (state === 'notRunning') { if (w.idle === null) w.idle = now; } else { w.idle = null; }
    const msgs = document.querySelectorAll('[data-testid="stChatMessage"]');
    if (!msgs.length) return;
    const last = msgs[msgs.length - 1];
    const text = last.innerText || '';
    if (w.evidence === null && text.includes('What the course material says')) w.evidence = now;
    if (w.evidence === null && text.includes('Closest sentences in the course material')) w.evidence = now;
    // streaming: "<text> ▌" followed by the "Not checked yet" note; the explanation is what precedes ▌
    const md = [...last.querySelectorAll('[data-testid="stMarkdownContainer"]')];
    for (const m of md) {
      const t = m.innerText || '';
      const i = t.indexOf('▌');
      if (i >= 0 && /\w/.test(t.slice(0, i).replace('General knowledge, not from the course material', ''))) {
        if (w.first_text === null) { w.first_text = now; w.first_words = t.slice(0, i).trim().slice(0, 80); }
      }
    }
    if (w.final === null && (text.includes("The tutor's explanation") || text.includes('Not covered by the course material')
        || text.includes('Not linked to the course material') || text.includes('Interrupted'))) {
      w.final = now;
      if (w.first_text === null) { w.first_text = now; w.notes.push('no streamed text seen; first text = final reply'); }
    }
    if (text.includes('Not covered by the course material') || text.includes('Closest sentences')) w.declined = true;
  };
  window.__walkObs = new MutationObserver(check);
  window.__walkObs.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true,
                                           attributeFilter: ['data-test-script-state']});
}
"""


def questions(limit: int | None) -> list[str]:
    rows = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    return [row["question"] for row in rows if row["expected_source"]][:limit]


def new_conversation(page) -> None:
    page.get_by_role("button", name="New conversation").click()
    wait_for_app_run(page)
    page.get_by_test_id("stChatMessage").first.wait_for(state="detached", timeout=30_000)


def ask(page, question: str) -> dict:
    page.evaluate(OBSERVER)
    box = page.get_by_placeholder("Ask about the course material…")
    box.fill(question)
    box.press("Enter")
    wait_for_app_run(page)
    page.wait_for_timeout(300)
    w = page.evaluate("window.__walk")
    t0 = w["t0"]
    sec = lambda t: None if t is None or t0 is None else round((t - t0) / 1000, 2)
    last = page.get_by_test_id("stChatMessage").last
    return {"question": question, "evidence_s": sec(w["evidence"]), "first_text_s": sec(w["first_text"]),
            "final_reply_s": sec(w["final"]), "run_done_s": sec(w["idle"]), "declined": w["declined"],
            "first_words": w.get("first_words"), "notes": w["notes"],
            "exceptions": page.get_by_test_id("stException").all_inner_texts(),
            "reply": last.inner_text()[:1500]}


def walk(data: Path, scratch: Path, asked: list[str]) -> dict:
    try:
        add_account(data, USER, "student")
    except TutorError:  # a ready data folder keeps the walker's account from an earlier run
        pass
    env = {"TUTOR_DATA_DIR": str(data), "TUTOR_CONTENT_DIR": str(CURRICULUM), "TUTOR_LLM_PROVIDER": "local"}
    results: list[dict] = []
    console: list[str] = []
    with serve(scratch, [], env) as url, sync_playwright() as pw, app_page(launch_chromium(pw)) as page:
        page.set_default_timeout(600_000)  # a question waits for the real model
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        page.goto(url)
        page.get_by_role("button", name="Sign in", exact=True).wait_for()
        sign_in(page, USER)
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Ask the tutor", exact=True).click()
        wait_for_app_run(page)
        warm = ask(page, WARM_UP)
        for question in asked:
            new_conversation(page)
            results.append(ask(page, question))
            print(json.dumps({k: v for k, v in results[-1].items() if k != "reply"}), flush=True)
    return {"warm_up": warm, "results": results, "console": console}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="a data folder with the bundled curriculum ingested (default: a fresh one)")
    parser.add_argument("--limit", type=int, help="only the first N in-scope questions")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "test-artifacts" / "browser-first-words.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tutor-walk-") as scratch:
        data = args.data or Path(scratch) / "data"
        if args.data is None:
            assert build_services(Settings(data_dir=data, content_dir=CURRICULUM)).ingest_bundled_content().ok
        report = walk(data, Path(scratch) / "app", questions(args.limit))
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    rows = report["results"]
    print("\n| # | evidence s | first text s | done s | declined | question |\n|---|---|---|---|---|---|")
    for i, r in enumerate(rows, 1):
        print(f"| {i} | {r['evidence_s']} | {r['first_text_s']} | {r['run_done_s']} | {r['declined']} | {r['question'][:70]} |")
    with_evidence = [r for r in rows if r["evidence_s"] is not None]  # the coverage verdict's instant refusals aside
    for key in ("evidence_s", "first_text_s", "run_done_s"):
        values = [r[key] for r in with_evidence if r[key] is not None]
        print(f"median {key}: {statistics.median(values) if values else None} (over {len(values)})")
    print("console:", report["console"][:20])


if __name__ == "__main__":
    main()

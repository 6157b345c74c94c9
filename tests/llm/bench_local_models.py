"""Measure the packaged local chat models on grounded questions (not part of the pytest run).

    .venv/bin/python -m tests.llm.bench_local_models                      # every installed model
    .venv/bin/python -m tests.llm.bench_local_models --models qwen2.5-coder-0.5b --out test-artifacts/m.json
    .venv/bin/python -m tests.llm.bench_local_models --layout user --json-order answer-first  # variants

For each model, in a fresh data folder: unpack (reassemble + hash), start the real server
through :class:`tutor.llm.local_server.LocalModelServer`, then

* phase A: the 8 items of ``grounded_prompts`` as free text, streamed through the ``openai``
  client, plus one follow-up on already-seen passages (the prompt cache at work);
* phase B (server restarted, so no cached prefix helps): the same items with
  ``response_format`` ``json_schema``: quotes, supported, answer (``--json-order`` picks the
  property order; ``--layout`` where the passages go, see ``grounded_prompts.messages``).

Per request: time to first token (wall clock, client side), decode speed and prompt size
(the server's own ``timings``), correctness by ``grounded_prompts`` scoring. Per model: unpack
time, load time (spawn to healthy), peak RSS of the server process. Greedy decoding
(temperature 0) so runs repeat. Writes a JSON report and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from openai import OpenAI

from tests.llm import grounded_prompts as gp
from tutor.errors import ModelUnavailableError
from tutor.llm.local_model import ensure_model_file, find_parts
from tutor.llm.packaged_models import PACKAGED_MODELS
from tutor.llm.local_server import LocalModelServer, ServerConfig

MAX_TOKENS = 400  # = TUTOR_LLM_MAX_TOKENS; the schema's length caps fit inside it


def _rss_mib(pid: int, field: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _ask(client: OpenAI, model: str, item: gp.Item, *, json_mode: bool, layout: str = "system",
         json_order: str = "evidence-first") -> dict[str, Any]:
    extra: dict[str, Any] = {}
    schema = gp.answer_schema(json_order)
    if json_mode:
        extra["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "grounded_answer", "schema": schema, "strict": True},
        }
    started = time.perf_counter()
    first = None
    parts: list[str] = []
    timings: dict[str, Any] = {}
    usage = None
    stream = client.chat.completions.create(
        model=model,
        messages=gp.messages(item, json_mode=json_mode, layout=layout),
        max_tokens=MAX_TOKENS,
        temperature=0,
        seed=0,
        stream=True,
        stream_options={"include_usage": True},
        **extra,
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            if first is None:
                first = time.perf_counter()
            parts.append(chunk.choices[0].delta.content)
        timings = (chunk.model_extra or {}).get("timings") or timings
        usage = chunk.usage or usage
    total = time.perf_counter() - started
    text = "".join(parts)
    row: dict[str, Any] = {
        "item": item.id,
        "kind": item.kind,
        "answerable": item.answerable,
        "json_mode": json_mode,
        "ttft_s": round((first or time.perf_counter()) - started, 2),
        "total_s": round(total, 2),
        "prompt_tokens": timings.get("prompt_n", usage.prompt_tokens if usage else None),
        "cached_tokens": timings.get("cache_n"),
        "prompt_tok_s": round(timings["prompt_per_second"], 1) if timings.get("prompt_per_second") else None,
        "completion_tokens": timings.get("predicted_n", usage.completion_tokens if usage else None),
        "decode_tok_s": round(timings["predicted_per_second"], 1) if timings.get("predicted_per_second") else None,
        "text": text,
    }
    if json_mode:
        try:
            reply = json.loads(text)
            row["valid_json"] = isinstance(reply, dict) and set(schema["required"]) <= set(reply)
        except ValueError:
            reply, row["valid_json"] = {}, False
        row["correct"] = bool(row["valid_json"]) and gp.score_json(item, reply)
        row["quotes_verbatim"] = gp.quotes_verbatim(item, reply) if row["valid_json"] else None
    else:
        row["correct"] = gp.score_text(item, text)
    return row


def bench_model(name: str, data_dir: Path, *, threads: int, layout: str, json_order: str) -> dict[str, Any]:
    model = PACKAGED_MODELS[name]
    models_dir = data_dir / "models"
    started = time.perf_counter()
    ensure_model_file(model, models_dir)
    unpack_s = time.perf_counter() - started
    config = ServerConfig(
        model=model, models_dir=models_dir, log_path=data_dir / "logs" / "local-llm.log", threads=threads
    )
    report: dict[str, Any] = {"model": name, "title": model.title, "file_mib": round(model.size / 2**20),
                              "unpack_s": round(unpack_s, 2), "layout": layout, "json_order": json_order,
                              "load_average_before": os.getloadavg()[0], "rows": []}

    for phase, json_mode in (("A", False), ("B", True)):
        server = LocalModelServer(config)
        started = time.perf_counter()
        endpoint = server.start()
        load_s = time.perf_counter() - started
        report[f"load_s_{phase}"] = round(load_s, 2)
        report[f"rss_after_load_mib_{phase}"] = _rss_mib(endpoint.pid, "VmRSS")
        client = OpenAI(base_url=endpoint.base_url, api_key=endpoint.api_key, timeout=600, max_retries=0)
        try:
            for item in gp.ITEMS:
                row = _ask(client, endpoint.model, item, json_mode=json_mode, layout=layout, json_order=json_order)
                report["rows"].append(row)
                print(f"  {name} {'json' if json_mode else 'text'} {item.id}: ttft {row['ttft_s']} s, "
                      f"{row['decode_tok_s']} tok/s, correct={row['correct']}: {row['text'][:160]!r}", flush=True)
                if not json_mode and item is gp.ITEMS[2]:
                    follow = _ask(client, endpoint.model, gp.FOLLOW_UP, json_mode=False, layout=layout)
                    report["rows"].append(follow)
                    print(f"  {name} follow-up: ttft {follow['ttft_s']} s (cached {follow['cached_tokens']} tokens), "
                          f"correct={follow['correct']}", flush=True)
            report[f"peak_rss_mib_{phase}"] = _rss_mib(endpoint.pid, "VmHWM")
            report[f"load_average_after_{phase}"] = os.getloadavg()[0]  # > cores: another job shared the CPU
        finally:
            server.stop()
    return report


def summarise(report: dict[str, Any]) -> dict[str, Any]:
    text = [r for r in report["rows"] if not r["json_mode"] and r["item"] != gp.FOLLOW_UP.id]
    js = [r for r in report["rows"] if r["json_mode"]]
    follow = next((r for r in report["rows"] if r["item"] == gp.FOLLOW_UP.id), None)
    drug = next(r for r in text if r["item"] == "statin-clarithromycin")

    def ok(rows: list[dict[str, Any]], answerable: bool) -> str:
        chosen = [r for r in rows if r["answerable"] is answerable]
        return f"{sum(r['correct'] for r in chosen)}/{len(chosen)}"

    return {
        "model": report["model"],
        # 1-minute load average; the server's own 2 threads count, so ~2 on 2 cores means nobody else ran
        "load_avg": round(max(report["load_average_before"], report["load_average_after_A"],
                              report["load_average_after_B"]), 1),
        "file_mib": report["file_mib"],
        "unpack_s": report["unpack_s"],
        "load_s": report["load_s_A"],
        "peak_rss_mib": round(max(report.get("peak_rss_mib_A") or 0, report.get("peak_rss_mib_B") or 0)),
        "ttft_median_s": round(statistics.median(r["ttft_s"] for r in text), 1),
        "ttft_max_s": round(max(r["ttft_s"] for r in text), 1),
        "prompt_tok_s": round(statistics.median(r["prompt_tok_s"] for r in text if r["prompt_tok_s"]), 1),
        "decode_tok_s": round(statistics.median(r["decode_tok_s"] for r in text if r["decode_tok_s"]), 1),
        "text_answerable": ok(text, True),
        "text_declined": ok(text, False),
        "drug_interaction": "right" if drug["correct"] else "wrong",
        "follow_up_ttft_s": follow["ttft_s"] if follow else None,
        "follow_up_cached_tokens": follow["cached_tokens"] if follow else None,
        "json_valid": f"{sum(bool(r.get('valid_json')) for r in js)}/{len(js)}",
        "json_answerable": ok(js, True),
        "json_declined": ok(js, False),
        "json_decode_tok_s": round(statistics.median(r["decode_tok_s"] for r in js if r["decode_tok_s"]), 1),
        "json_quotes_verbatim": f"{sum(r.get('quotes_verbatim') is True for r in js)}/"
                                f"{sum(r.get('quotes_verbatim') is not None for r in js)}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=",".join(PACKAGED_MODELS), help="comma-separated registry names")
    parser.add_argument("--out", type=Path, default=Path("test-artifacts/local_models_bench.json"))
    parser.add_argument("--threads", type=int, default=0, help="0: every available core")
    parser.add_argument("--layout", choices=["system", "user"], default="system",
                        help="passages in the system message (default) or in the user message")
    parser.add_argument("--json-order", choices=["evidence-first", "answer-first"], default="evidence-first",
                        help="property order of the structured answer")
    args = parser.parse_args()

    reports, summaries = [], []
    for name in args.models.split(","):
        try:
            find_parts(PACKAGED_MODELS[name])
        except ModelUnavailableError as exc:
            print(f"skipping {name}: {exc.user_message}")
            continue
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            print(f"== {name}", flush=True)
            report = bench_model(name, Path(tmp), threads=args.threads, layout=args.layout,
                                 json_order=args.json_order)
        reports.append(report)
        summaries.append(summarise(report))
        print(json.dumps(summaries[-1], indent=2), flush=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summaries": summaries, "reports": reports}, indent=2), encoding="utf-8")
    if summaries:
        keys = list(summaries[0])
        print("| " + " | ".join(keys) + " |")
        print("|" + "---|" * len(keys))
        for s in summaries:
            print("| " + " | ".join(str(s[k]) for k in keys) + " |")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

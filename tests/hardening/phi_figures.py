"""PHI screening figures: recall per identifier kind on seeded vignettes, false flags on clean text.

    python -m tests.hardening.phi_figures [--vignettes 1000 --clean 1000 --seed 7]

Prints recall per kind (names separately, they are best effort), overall recall of the
pattern kinds, the share of clean paragraphs flagged (bundled curriculum, generated
teaching text, PubMedQA abstracts when ../shared holds them; names counted apart) and
throughput. A planted identifier counts as found only when findings cover all of it,
i.e. when redaction would remove it whole.
"""

from __future__ import annotations

import argparse
import time

from tests.hardening.phi_corpus import clean_paragraphs, recall_by_kind, vignettes
from tutor.content.phi_screen import PATTERN_KINDS, screen


def false_flags(paragraphs: list[str]) -> tuple[int, int]:
    """(paragraphs with a pattern-kind finding, paragraphs with a name finding)."""
    patterns = names = 0
    for paragraph in paragraphs:
        kinds = {f.kind for f in screen(paragraph)}
        patterns += bool(kinds & set(PATTERN_KINDS))
        names += "name" in kinds
    return patterns, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vignettes", type=int, default=1000)
    parser.add_argument("--clean", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    corpus = vignettes(args.vignettes, seed=args.seed)
    started = time.perf_counter()
    recall = recall_by_kind(corpus, screen)
    seconds = time.perf_counter() - started
    chars = sum(len(v.text) for v in corpus)
    print(f"Recall on {len(corpus)} seeded vignettes (seed {args.seed}):")
    for kind in [*PATTERN_KINDS, "name"]:
        found, planted = recall.get(kind, (0, 0))
        if planted:
            print(f"  {kind:12s} {found:5d}/{planted:<5d} {found / planted:6.1%}")
    found = sum(recall[k][0] for k in PATTERN_KINDS if k in recall)
    planted = sum(recall[k][1] for k in PATTERN_KINDS if k in recall)
    print(f"  overall (pattern kinds) {found}/{planted} = {found / planted:.2%}; names "
          f"{recall['name'][0]}/{recall['name'][1]} = {recall['name'][0] / recall['name'][1]:.2%}")

    print("False flags on clean paragraphs (pattern kinds | names):")
    total_chars = 0
    started = time.perf_counter()
    for origin, paragraphs in clean_paragraphs(args.clean, seed=args.seed + 4).items():
        if not paragraphs:
            print(f"  {origin:10s} (not present: skipped)")
            continue
        total_chars += sum(map(len, paragraphs))
        patterns, names = false_flags(paragraphs)
        print(f"  {origin:10s} {patterns:4d}/{len(paragraphs):<5d} {patterns / len(paragraphs):6.2%} | "
              f"{names:4d} {names / len(paragraphs):6.2%}")
    clean_seconds = time.perf_counter() - started
    print(f"Throughput: vignettes {chars / seconds / 1e6:.2f} MB/s ({len(corpus) / seconds:,.0f} vignettes/s); "
          f"clean text {total_chars / clean_seconds / 1e6:.2f} MB/s")


if __name__ == "__main__":
    main()

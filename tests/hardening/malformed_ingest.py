"""Uploading the malformed corpus through the real ingest, and checking the library after it.

Shared by the test (``test_malformed_uploads``) and the figures script (``malformed_figures``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.accounts import DR_LEE
from tests.hardening.malformed_files import Sample, valid_markdown
from tutor.content.chunking import make_doc_id
from tutor.domain import IngestReport
from tutor.index.ingest import upload_source_name
from tutor.services import Services

BATCH = 25


@dataclass
class Run:
    services: Services
    samples: list[Sample]
    reports: list[IngestReport] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    sentinels: list[str] = field(default_factory=list)

    def outcome(self, source: str) -> list[str]:
        found = []
        for report in self.reports:
            found += ["added"] * report.added.count(source) + ["updated"] * report.updated.count(source)
            found += ["failed" for f in report.failed if f.source == source]
            found += ["held" for h in getattr(report, "held", ()) if h.source == source]
        return found

    def reason(self, source: str) -> str:
        return next(f.reason for r in self.reports for f in r.failed if f.source == source)


def ingest_corpus(services: Services, samples: list[Sample], batch: int = BATCH) -> Run:
    """Upload ``samples`` in batches, each followed by a valid file; record what escapes."""
    run = Run(services, samples)
    for start in range(0, len(samples), batch):
        name, data = valid_markdown(start // batch)
        run.sentinels.append(name)
        files = [(s.name, s.data) for s in samples[start:start + batch]] + [(name, data)]
        try:
            run.reports.append(services.ingest_uploads(DR_LEE, files))
        except BaseException as exc:  # an app crash: the figure that must be 0
            run.crashes.append(f"batch {start}: {type(exc).__name__}: {exc}")
    return run


def partial_ingests(run: Run) -> list[str]:
    """Files not either completely in the library or completely absent with a reason (target: none)."""
    services, course = run.services, run.services.settings.course
    indexed = services.index.ids()
    registered: set[str] = set()
    for rows in services.registry.iter_chunk_rows():
        registered |= {row.chunk.chunk_id for row in rows}
    partial = []
    if indexed != registered:
        partial.append(f"index and registry differ: {len(indexed - registered)} vectors without rows, "
                       f"{len(registered - indexed)} rows without vectors")
    for sample in run.samples:
        source = upload_source_name(sample.name)
        outcome = run.outcome(source)
        doc_id = make_doc_id(course, source)
        stored, chunk_ids = services.registry.get(doc_id), services.registry.chunk_ids(doc_id)
        if outcome == ["added"]:
            if stored is None or not chunk_ids or len(chunk_ids) != stored.n_chunks or not chunk_ids <= indexed:
                partial.append(f"{sample.name}: ingested but {len(chunk_ids)} rows for n_chunks={stored and stored.n_chunks}")
        elif outcome in (["failed"], ["held"]):
            if stored is not None or chunk_ids:
                partial.append(f"{sample.name}: refused but {len(chunk_ids)} chunks stored")
            if outcome == ["failed"] and not run.reason(source).strip():
                partial.append(f"{sample.name}: refused without a reason")
        else:
            partial.append(f"{sample.name}: outcome {outcome}")
    return partial

"""The parse sandbox: a loader that hangs, hogs memory, crashes or exits costs one file, not the app.

The misbehaving loaders (``tests.hardening.sandbox_loaders``) are injected through the
parser's seam, ``SandboxedParser(loader="module:function")``, which the child imports.
"""

from __future__ import annotations

import threading

import pytest

from tests.accounts import DR_LEE
from tests.factories import make_pdf
from tests.hardening import sandbox_loaders
from tutor.errors import DocumentError, EncryptedDocument, MalformedDocument
from tutor.index.parse_sandbox import SandboxedParser
from tutor.services import build_services
from tutor.settings import Settings

LOADERS = sandbox_loaders.MODULE


@pytest.fixture
def parser():
    made: list[SandboxedParser] = []

    def make(function: str = "", **limits) -> SandboxedParser:
        loader = f"{LOADERS}:{function}" if function else "tutor.content.loaders:load_document"
        made.append(SandboxedParser(loader=loader, **{"timeout_s": 20.0, "memory_mb": 512, **limits}))
        return made[-1]

    yield make
    for p in made:
        p.close()


def assert_still_parses(p: SandboxedParser) -> None:
    """The same parser (and so the app) goes on working after the failure."""
    p.loader = "tutor.content.loaders:load_document"
    assert p.parse(b"# Fine\n\nStill working.", "fine.md").sections[0].text == "Still working."


def test_a_loader_that_hangs_is_killed_at_the_time_limit(parser):
    p = parser("sleeps", timeout_s=1.0)
    with pytest.raises(DocumentError) as caught:
        p.parse(b"x", "slow.pdf")
    assert caught.value.reason == "the file took too long to read (over 1 s) and was skipped"
    assert caught.value.source == "slow.pdf" and p.stats.timeouts == 1
    assert_still_parses(p)


def test_a_loader_that_allocates_past_the_limit_is_stopped(parser):
    p = parser("allocates", memory_mb=512)
    with pytest.raises(DocumentError) as caught:
        p.parse(b"x", "bomb.pdf")
    assert caught.value.reason.startswith("reading the file needed more than 512 MB of memory")
    assert p.stats.memory_kills == 1 and p.stats.peak_child_rss_kb < 600 * 1024
    assert_still_parses(p)


@pytest.mark.parametrize("function", ["segfaults", "exits"])
def test_a_loader_that_dies_gives_a_clear_reason(parser, function):
    p = parser(function)
    with pytest.raises(DocumentError) as caught:
        p.parse(b"x", "crash.docx")
    assert caught.value.reason == "the file could not be read: the reader stopped unexpectedly"
    assert p.stats.crashes == 1
    assert_still_parses(p)


def test_a_loader_bug_is_a_reason_not_an_exception(parser):
    p = parser("raises_value_error")
    with pytest.raises(DocumentError) as caught:
        p.parse(b"x", "bug.md")
    assert caught.value.reason == "the file could not be read: the reader failed on it (ValueError)"
    assert "a loader bug" in str(caught.value)
    assert_still_parses(p)


def test_the_loaders_own_errors_come_back_with_their_class_source_and_reason(parser):
    p = parser()
    with pytest.raises(MalformedDocument) as caught:
        p.parse(b"%PDF-1.7\n", "notes/broken.pdf")
    assert caught.value.source == "notes/broken.pdf" and str(caught.value).startswith("Pdf")
    assert caught.value.user_message == "notes/broken.pdf: the file is damaged or not what its extension says"
    from tests.factories import make_encrypted_pdf

    with pytest.raises(EncryptedDocument):
        p.parse(make_encrypted_pdf([("A", "b")]), "locked.pdf")


def test_a_document_round_trips_with_pages_and_headings(parser):
    pdf = make_pdf([("Asthma", "Inhaled corticosteroids."), ("Sepsis", "Antibiotics within the hour.")], title="Resp")
    doc = parser().parse(pdf, "resp.pdf")
    assert doc.kind == "pdf" and doc.meta.title == "Resp"
    assert [(s.heading_path, s.page) for s in doc.sections] == [(("Asthma",), 1), (("Sepsis",), 2)]


def test_threads_parse_at_once(parser):
    p = parser()
    results: dict[int, str] = {}

    def work(n: int) -> None:
        results[n] = p.parse(f"# T{n}\n\nBody {n}.".encode(), f"t{n}.md").sections[0].text

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == {n: f"Body {n}." for n in range(6)}


def test_a_dead_parse_server_is_replaced(parser):
    p = parser()
    p.parse(b"one", "one.txt")
    for server in p._idle:
        server.process.kill()
        server.process.wait()
    assert p.parse(b"two", "two.txt").sections[0].text == "two"


def test_the_ingestor_reports_each_bad_file_and_ingests_the_rest(tmp_path, embedder):
    parse = SandboxedParser(timeout_s=5.0, memory_mb=512, loader=f"{LOADERS}:by_name")
    services = build_services(Settings(data_dir=tmp_path / "data"), embedder=embedder, parse=parse)
    files = [
        ("sleep.md", b"# A\n\ntext"), ("alloc.md", b"# B\n\ntext"), ("segv.md", b"# C\n\ntext"),
        ("exit.md", b"# D\n\ntext"), ("fine.md", b"# Fine\n\nPotassium above 6.5 mmol/L needs urgent treatment."),
    ]
    report = services.ingest_uploads(DR_LEE, files)
    parse.close()
    reasons = {f.source: f.reason for f in report.failed}
    assert report.added == ("fine.md",) and set(reasons) == {"sleep.md", "alloc.md", "segv.md", "exit.md"}
    assert "over 5 s" in reasons["sleep.md"] and "512 MB" in reasons["alloc.md"]
    assert reasons["segv.md"] == reasons["exit.md"] == "the file could not be read: the reader stopped unexpectedly"
    assert services.registry.count_chunks() == services.index.count() == 1
    assert services.search("urgent potassium treatment").hits[0].source == "fine.md"


def test_a_parser_that_is_dropped_stops_its_servers():
    """Each Services builds a parser; one left behind (a test's, a rebuilt bundle) must not leave processes."""
    import gc

    p = SandboxedParser()
    p.parse(b"# One\n\nText.", "one.md")
    server = p._idle[0].process
    del p
    gc.collect()
    assert server.wait(timeout=10) is not None  # stopped, not orphaned


def test_parsing_works_when_the_app_holds_more_than_1024_open_files(parser):
    """select() cannot watch a descriptor above 1023; a long-running app (Chroma, SQLite, sockets) gets there."""
    import os
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"this machine allows only {hard} open files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        assert parser().parse(b"# High\n\nDescriptors.", "high.md").sections[0].text == "Descriptors."
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

"""chunk_document: size limits, section and page boundaries, overlap, stable unique ids."""

import re

import pytest

from tutor.content.chunking import CHUNKER_VERSION, chunk_document, make_doc_id
from tutor.domain import LoadedDocument, Section

DOC_ID = make_doc_id("core-medicine", "notes/heart.md")


def doc(*sections: Section, source: str = "notes/heart.md") -> LoadedDocument:
    return LoadedDocument(source=source, kind="markdown", sections=sections)


def numbered_sentences(start: int, count: int, words: int = 12) -> str:
    """Sentences whose words are unique numbers, so every word can be traced."""
    out = []
    for s in range(start, start + count):
        body = " ".join(f"w{s}x{i}" for i in range(words))
        out.append(f"Sentence {body}.")
    return " ".join(out)


def long_section(paragraphs: int = 12, sentences: int = 3, path=("Cardiology", "Heart failure")) -> Section:
    paras = [numbered_sentences(p * 100, sentences) for p in range(paragraphs)]
    return Section(heading_path=path, text="\n\n".join(paras))


# --- ids ------------------------------------------------------------------------------


def test_make_doc_id_is_stable_hex_and_depends_on_both_parts():
    assert make_doc_id("c", "a.md") == make_doc_id("c", "a.md")
    assert re.fullmatch(r"[0-9a-f]{16}", make_doc_id("c", "a.md"))
    assert make_doc_id("c", "a.md") != make_doc_id("d", "a.md")
    assert make_doc_id("c", "a.md") != make_doc_id("c", "b.md")
    assert make_doc_id("ab", "c") != make_doc_id("a", "bc")  # the separator matters


def test_chunk_fields():
    chunks = chunk_document(doc(Section(heading_path=("A", "B"), text="Hello there.")), DOC_ID)
    assert len(chunks) == 1
    chunk = chunks[0]
    assert re.fullmatch(r"[0-9a-f]{20}", chunk.chunk_id)
    assert (chunk.doc_id, chunk.source, chunk.ordinal, chunk.section, chunk.page, chunk.text) == (
        DOC_ID,
        "notes/heart.md",
        0,
        "A > B",
        None,
        "Hello there.",
    )
    assert CHUNKER_VERSION == "1"


def test_deterministic():
    document = doc(long_section(), Section(heading_path=("Renal",), text=numbered_sentences(9000, 40)))
    first = chunk_document(document, DOC_ID)
    second = chunk_document(document, DOC_ID)
    assert first == second
    assert len(first) > 4


def test_ids_depend_on_doc_id_section_and_page():
    text = "Same text."
    base = chunk_document(doc(Section(text=text)), DOC_ID)[0].chunk_id
    assert chunk_document(doc(Section(text=text)), "other")[0].chunk_id != base
    assert chunk_document(doc(Section(heading_path=("X",), text=text)), DOC_ID)[0].chunk_id != base
    assert chunk_document(doc(Section(text=text, page=1)), DOC_ID)[0].chunk_id != base


def test_ids_ignore_whitespace_differences():
    a = chunk_document(doc(Section(text="Heart  failure\tis common.")), DOC_ID)[0]
    b = chunk_document(doc(Section(text="Heart failure is common.")), DOC_ID)[0]
    assert a.chunk_id == b.chunk_id


def test_duplicated_paragraphs_get_unique_ids():
    repeated = Section(heading_path=("Summary",), text="Check the airway first.")
    chunks = chunk_document(doc(repeated, repeated, repeated), DOC_ID)
    assert len(chunks) == 3
    assert len({c.chunk_id for c in chunks}) == 3
    assert chunk_document(doc(repeated, repeated, repeated), DOC_ID) == chunks  # still stable


def test_duplicates_inside_one_long_section_get_unique_ids():
    paragraph = numbered_sentences(0, 12)  # ~890 chars: one chunk per paragraph
    section = Section(heading_path=("S",), text="\n\n".join([paragraph] * 4))
    chunks = chunk_document(doc(section), DOC_ID, overlap_chars=0)
    assert len(chunks) == 4
    assert len({c.chunk_id for c in chunks}) == 4


def test_editing_one_paragraph_changes_only_the_chunks_that_contain_it():
    section = long_section(paragraphs=12)
    other = Section(heading_path=("Renal",), text=numbered_sentences(5000, 30))
    before = chunk_document(doc(section, other), DOC_ID)

    # Same length edit at the start of the first paragraph: packing does not shift.
    edited_text = section.text.replace("w0x0", "Z0x0", 1)
    assert len(edited_text) == len(section.text)
    after = chunk_document(doc(section.model_copy(update={"text": edited_text}), other), DOC_ID)

    assert len(after) == len(before)
    changed = [i for i, (b, a) in enumerate(zip(before, after, strict=True)) if b.chunk_id != a.chunk_id]
    assert changed == [0]
    assert "Z0x0" in after[0].text and all("Z0x0" not in c.text for c in after[1:])


def test_editing_one_section_leaves_other_sections_ids_alone():
    first = long_section(paragraphs=6, path=("A",))
    second = long_section(paragraphs=6, path=("B",))
    before = chunk_document(doc(first, second), DOC_ID)
    longer = first.model_copy(update={"text": first.text + "\n\nA whole new paragraph at the end."})
    after = chunk_document(doc(longer, second), DOC_ID)
    before_b = [c.chunk_id for c in before if c.section == "B"]
    after_b = [c.chunk_id for c in after if c.section == "B"]
    assert before_b == after_b
    # Inserting a section in front renumbers ordinals but keeps the ids.
    inserted = chunk_document(doc(Section(heading_path=("New",), text="Inserted."), first, second), DOC_ID)
    assert [c.chunk_id for c in inserted[1:]] == [c.chunk_id for c in before]
    assert [c.ordinal for c in inserted] == list(range(len(inserted)))


# --- sizes and boundaries -------------------------------------------------------------


@pytest.mark.parametrize(("max_chars", "overlap"), [(1200, 150), (300, 60), (200, 0), (500, 249)])
def test_no_chunk_exceeds_max_chars(max_chars, overlap):
    document = doc(
        long_section(paragraphs=10, sentences=7),
        Section(text="x" * 3000),
        Section(text="line without end\n" * 200),
    )
    chunks = chunk_document(document, DOC_ID, max_chars=max_chars, overlap_chars=overlap)
    assert chunks
    assert max(len(c.text) for c in chunks) <= max_chars


def test_no_text_is_lost():
    section = long_section(paragraphs=10, sentences=7)
    chunks = chunk_document(doc(section), DOC_ID, max_chars=300, overlap_chars=60)
    words_in = set(section.text.split())
    words_out = set(" ".join(c.text for c in chunks).split())
    assert words_in == words_out


def test_sections_are_never_merged():
    sections = [Section(heading_path=("A",), text="Short a."), Section(heading_path=("B",), text="Short b.")]
    chunks = chunk_document(doc(*sections), DOC_ID)
    assert [(c.section, c.text) for c in chunks] == [("A", "Short a."), ("B", "Short b.")]
    assert [c.ordinal for c in chunks] == [0, 1]


def test_pages_are_never_merged():
    pages = [Section(heading_path=("Cardiology",), text=f"Page {n} text.", page=n) for n in (1, 2, 3)]
    chunks = chunk_document(LoadedDocument(source="a.pdf", kind="pdf", sections=tuple(pages)), DOC_ID)
    assert [(c.page, c.text, c.section) for c in chunks] == [
        (1, "Page 1 text.", "Cardiology"),
        (2, "Page 2 text.", "Cardiology"),
        (3, "Page 3 text.", "Cardiology"),
    ]
    assert len({c.chunk_id for c in chunks}) == 3


def test_empty_sections_give_no_chunks():
    chunks = chunk_document(doc(Section(text="  \n\n "), Section(heading_path=("A",), text="Body.")), DOC_ID)
    assert [c.text for c in chunks] == ["Body."]
    assert chunks[0].ordinal == 0


def test_small_paragraphs_are_packed_together():
    text = "\n\n".join(f"Paragraph {i}." for i in range(5))
    chunks = chunk_document(doc(Section(text=text)), DOC_ID)
    assert [c.text for c in chunks] == [text]


def test_overlap_repeats_the_previous_tail_at_a_sentence_start():
    chunks = chunk_document(doc(long_section(paragraphs=12)), DOC_ID, max_chars=1200, overlap_chars=150)
    assert len(chunks) >= 3
    for previous, current in zip(chunks, chunks[1:]):
        shared = _longest_prefix_that_ends_previous(previous.text, current.text)
        assert 0 < len(shared) <= 150
        assert shared.startswith("Sentence ")  # cut at a sentence start, not mid-sentence


def test_overlap_falls_back_to_word_boundary():
    text = " ".join(f"word{i}" for i in range(600))  # no sentence ends at all
    chunks = chunk_document(doc(Section(text=text)), DOC_ID, max_chars=400, overlap_chars=50)
    assert len(chunks) > 3
    for previous, current in zip(chunks, chunks[1:]):
        shared = _longest_prefix_that_ends_previous(previous.text, current.text)
        assert 0 < len(shared) <= 50
        assert re.match(r"word\d+", shared)
        assert previous.text.endswith(" " + shared)  # starts at a whole word


def test_no_overlap_when_disabled():
    chunks = chunk_document(doc(long_section()), DOC_ID, overlap_chars=0)
    for previous, current in zip(chunks, chunks[1:]):
        assert _longest_prefix_that_ends_previous(previous.text, current.text) == ""


def test_long_paragraph_is_cut_at_sentence_ends():
    paragraph = numbered_sentences(0, 40)  # ~4000 chars, one paragraph
    chunks = chunk_document(doc(Section(text=paragraph)), DOC_ID, max_chars=1000, overlap_chars=0)
    assert len(chunks) >= 4
    assert all(c.text.endswith(".") for c in chunks)
    assert " ".join(c.text for c in chunks) == paragraph


def test_huge_paragraph_without_sentence_ends_still_splits():
    text = " ".join(f"token{i}" for i in range(2000))  # ~17,000 chars, no punctuation
    chunks = chunk_document(doc(Section(text=text)), DOC_ID, max_chars=1200, overlap_chars=150)
    assert len(chunks) > 10
    assert all(len(c.text) <= 1200 for c in chunks)
    assert all(not c.text.startswith(" ") and re.fullmatch(r"[\w ]+", c.text) for c in chunks)
    assert {f"token{i}" for i in range(2000)} == set(" ".join(c.text for c in chunks).split())


def test_a_run_without_any_whitespace_is_cut_hard():
    chunks = chunk_document(doc(Section(text="A" * 5000)), DOC_ID, max_chars=1000, overlap_chars=100)
    assert all(len(c.text) <= 1000 for c in chunks)
    assert sum(len(c.text) for c in chunks) == 5000  # no word boundary: no overlap either


def test_tiny_tail_merges_into_previous_chunk():
    # Too long to share a body with the tail once the overlap reserve (150 + 2) is kept
    # free, but short enough to take the tail without overlap within 1200.
    big = numbered_sentences(0, 15)
    tail = "Short closing remark."
    assert 1200 - 150 - 2 < len(big) + 2 + len(tail) <= 1200
    chunks = chunk_document(doc(Section(text=f"{big}\n\n{tail}")), DOC_ID, max_chars=1200, overlap_chars=150)
    assert [c.text for c in chunks] == [f"{big}\n\n{tail}"]


def test_small_tail_that_does_not_fit_stays_separate():
    first = numbered_sentences(0, 13)  # 971 characters
    second = first.replace("w", "v")  # same length, different text
    tail = ("Closing words " * 14).strip() + "."  # under 1200 / 5, but too big to join
    text = "\n\n".join([first, second, tail])
    chunks = chunk_document(doc(Section(text=text)), DOC_ID, max_chars=1200, overlap_chars=150)
    assert len(chunks) == 3
    assert len(tail) < 1200 / 5
    assert len(chunks[1].text) + 2 + len(tail) > 1200  # the second chunk has no room left
    assert chunks[2].text.endswith("\n\n" + tail)
    assert chunks[2].text.startswith("Sentence v12x0")  # the overlap still leads the tail


@pytest.mark.parametrize(("max_chars", "overlap"), [(10, 0), (1200, -1), (1200, 600), (400, 1000)])
def test_invalid_sizes(max_chars, overlap):
    with pytest.raises(ValueError):
        chunk_document(doc(Section(text="x")), DOC_ID, max_chars=max_chars, overlap_chars=overlap)


def _longest_prefix_that_ends_previous(previous: str, current: str) -> str:
    """The longest start of ``current`` that is also the end of ``previous``."""
    for size in range(min(len(previous), len(current)), 0, -1):
        candidate = current[:size]
        if previous.endswith(candidate) and (size == len(current) or current[size] in " \n"):
            return candidate
    return ""

"""The real Streamlit app under AppTest: entrypoint, navigation and each page.

The app is pointed at a temporary data folder and a small curriculum through the
same environment variables an operator would set; nothing inside it is replaced.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.factories import make_pdf
from tests.accounts import open_signed_in


@pytest.fixture
def app(data_dir: Path) -> AppTest:
    return open_signed_in(data_dir)


def _plain(markdown: str) -> str:
    return markdown.replace("\\", "")


def _documents(app: AppTest):
    """The Library's documents table (the jobs table, when there are jobs, comes first)."""
    return next(d.value for d in app.dataframe if "Source" in d.value.columns)


def _jobs(app: AppTest):
    return next(d.value for d in app.dataframe if "Job" in d.value.columns)


def test_first_start_indexes_the_bundled_curriculum_and_home_shows_it(app: AppTest):
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Documents"] == "3" and metrics["Modules"] == "2"
    assert any("not clinical advice" in w.value for w in app.warning)


def test_search_page_shows_cited_passages(app: AppTest):
    app.switch_page("pages/search.py").run()
    app.text_input[0].input("What is the emergency treatment for a dangerously high potassium?")
    app.button[0].click().run()
    assert not app.exception and not app.error
    captions = [_plain(c.value) for c in app.caption]
    assert "renal/hyperkalaemia.md · Hyperkalaemia > Emergency treatment" in captions
    assert not app.warning  # covered: no "not covered" warning


def test_search_results_are_shown_in_the_order_of_the_figure_shown(app: AppTest):
    app.switch_page("pages/search.py").run()
    app.text_input[0].input("What does a high potassium do to the ECG and how is it treated?")
    app.number_input[0].set_value(5)
    app.button[0].click().run()
    figures = [float(m.value) for m in app.metric if m.label == "answers it"]
    assert len(figures) >= 3 and figures == sorted(figures, reverse=True)


def test_passages_show_the_documents_bold_as_bold_never_as_asterisks():
    from tutor.ui.components import passage_markdown

    shown = passage_markdown("Give **calcium gluconate** 10 mL [link](https://evil.example) *now*")
    assert shown.startswith("Give **calcium gluconate** 10 mL ")
    assert "\\[link\\]\\(" in shown and r"\*now\*" in shown  # a link and single emphasis stay literal
    cut = passage_markdown("Stage 1:** creatinine 1.5 to 1.9 times baseline")  # a sentence cut inside a bold phrase
    assert "*" not in cut and cut.replace("\\", "").startswith("Stage 1: creatinine")


def test_search_page_says_when_the_material_does_not_cover_a_question(app: AppTest):
    app.switch_page("pages/search.py").run()
    app.text_input[0].input("How do I replace the brake pads on a bicycle?")
    app.button[0].click().run()
    assert any("does not seem to cover" in w.value for w in app.warning)


def test_search_page_rejects_an_empty_query_with_a_message(app: AppTest):
    app.switch_page("pages/search.py").run()
    app.button[0].click().run()
    assert not app.exception
    assert [e.value for e in app.error] == ["Please type something to search for."]


def test_library_upload_indexes_good_files_and_names_the_bad_ones(app: AppTest):
    app.switch_page("pages/library.py").run()
    pdf = make_pdf([("Anaphylaxis", "Give intramuscular adrenaline 0.5 mg into the anterolateral thigh.")], title="Anaphylaxis")
    app.file_uploader[0].set_value([
        ("anaphylaxis.pdf", pdf, "application/pdf"),
        ("empty.md", b"", "text/markdown"),
    ])
    app.button[0].click().run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Added"] == "1" and metrics["Failed"] == "1"
    assert "empty.md" in _plain(app.error[0].value)
    [job] = _jobs(app).to_dict("records")  # the upload ran as a background job, followed on the page
    assert (job["Status"], job["Progress"], job["By"]) == ("Done", 1.0, "dr-lee")
    assert job["Outcome"] == "1 added, 0 updated, 0 unchanged, 1 failed" and "anaphylaxis.pdf" in job["Job"]
    assert _documents(app)["Source"].tolist() == [
        "anaphylaxis.pdf", "cardiology/heart-failure.md", "renal/aki.md", "renal/hyperkalaemia.md"
    ]

    app.switch_page("pages/search.py").run()
    app.text_input[0].input("dose of adrenaline for anaphylaxis")
    app.button[0].click().run()
    assert "anaphylaxis.pdf · Anaphylaxis · p. 1" in [_plain(c.value) for c in app.caption]


def test_an_anonymous_pdf_gets_its_heading_as_title_the_chosen_module_and_can_be_relabelled(app: AppTest):
    app.switch_page("pages/library.py").run()
    pdf = make_pdf([("Anaphylaxis", "Anaphylaxis is a severe, life-threatening systemic hypersensitivity reaction."),
                    ("Management", "Give intramuscular adrenaline 0.5 mg into the anterolateral thigh.")],
                   title="(anonymous)", outline=False)
    app.file_uploader[0].set_value([("handout.pdf", pdf, "application/pdf")])
    next(t for t in app.text_input if t.label.startswith("Module for these files")).input("Emergencies")
    app.button[0].click().run()
    assert not app.exception
    table = _documents(app).set_index("Source")
    assert table.loc["handout.pdf", "Title"] == "Anaphylaxis" and table.loc["handout.pdf", "Module"] == "Emergencies"

    next(s for s in app.selectbox if s.label == "Document").set_value("Anaphylaxis (handout.pdf)").run()
    previews = _plain(" ".join(m.value for m in app.markdown))
    assert "Management · p. 2" in previews and "Anaphylaxis · p. 1" in previews  # sections from the drawn headings
    next(t for t in app.text_input if t.label.startswith("Title")).input("Anaphylaxis in adults")
    next(t for t in app.text_input if t.label == "Module").input("Immunology")
    next(b for b in app.button if b.label == "Save").click().run()
    assert not app.exception and not app.error
    table = _documents(app).set_index("Source")
    assert table.loc["handout.pdf", "Title"] == "Anaphylaxis in adults" and table.loc["handout.pdf", "Module"] == "Immunology"

    app.switch_page("pages/search.py").run()
    assert "Immunology" in app.selectbox[0].options and "Emergencies" not in app.selectbox[0].options
    app.text_input[0].input("dose of adrenaline for anaphylaxis")
    app.selectbox[0].set_value("Immunology")
    app.button[0].click().run()
    assert any("Anaphylaxis in adults" in _plain(m.value) for m in app.markdown)  # the new title, under the new module


def test_library_remove_needs_confirmation(app: AppTest):
    app.switch_page("pages/library.py").run()
    remove = next(b for b in app.button if b.label == "Remove")
    remove.click().run()
    assert any("Tick the confirmation box" in w.value for w in app.warning)
    assert len(_documents(app)) == 3


def test_evidence_chips_name_the_section_path_without_repeating_the_title():
    from tutor.ui.answer_view import place_label

    assert place_label("Anaemia", "Anaemia > Microcytic anaemia > Iron deficiency anaemia") == (
        "Anaemia › Microcytic anaemia › Iron deficiency anaemia")
    assert place_label("Asthma", "Acute asthma") == "Asthma › Acute asthma"
    assert place_label("notes.md", None) == "notes.md"

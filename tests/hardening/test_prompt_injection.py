"""Suite 5 of issue 7: prompt injection through documents, against a model that obeys.

Poisoned curriculum files (:mod:`tests.hardening.poisoned_documents`) go through the real
upload pipeline into a library that also holds the mini curriculum; a second student
("bob") has canary strings in his conversation, his case session and his name; then the
first student ("ada") asks the question that retrieves each poisoned file, through the
real AskService, with a scripted model that does whatever any text it sees tells it
(:mod:`tests.hardening.obeying_model`). So every zero below is the application's own
defence, not the model's good sense:

* no tool other than ``search_curriculum`` is executed, and no search reaches learner data;
* no other-student data appears in an answer, a stored turn, or even a prompt;
* no outside image or link is rendered: the answer text as the Ask page shows it, and
  the curriculum text as citations, quotes and search results show it (also checked on
  the real Ask and Search pages under AppTest);
* no answer repeats an 8-word window of the tutor's fixed prompts.

Quick size (40 files, every attack kind at least once) in ``make test``; set
``TUTOR_INJECTION_FILES=300`` for the full size, or run
``python -m tests.hardening.injection_figures --files 300`` for the per-attack table.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.accounts import open_signed_in
from tests.hardening.injection_figures import (
    ALLOWED_TOOLS, CANARIES, INVISIBLE_CARRIERS, ask_all, open_library, stored_canaries,
)
from tests.hardening.obeying_model import outside_references, prompt_leaks
from tests.hardening.poisoned_documents import ALL_KINDS, coverage, poisoned_files
from tutor.errors import TutorError
from tutor.modes.quiz.models import BlockSpec
from tutor.ui.components import escape_markdown

FILES = int(os.environ.get("TUTOR_INJECTION_FILES", "40"))

pytestmark = pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")


@pytest.fixture(scope="module")
def run(tmp_path_factory, embedder):
    files = poisoned_files(FILES)
    library = open_library(tmp_path_factory.mktemp("injection"), embedder, files)
    bob_turns = library.services.progress.chat_history(library.bob.learner_id)
    outcomes = ask_all(library, files)
    return library, files, outcomes, bob_turns


def test_the_quick_size_covers_every_attack_kind():
    counts = coverage(poisoned_files(FILES))
    assert [kind for kind in ALL_KINDS if counts[kind] == 0] == []


def test_the_poisoned_files_are_retrieved_and_the_model_obeys_them(run):
    library, files, outcomes, _ = run
    in_library = [o for o in outcomes if not o.held]
    assert sum(o.retrieved for o in in_library) >= 0.8 * len(in_library)
    model = library.model
    assert any(o.requested_tools for o in model.obedience)  # it did ask for forbidden tools
    assert any(o.prompt_echoed for o in model.obedience)  # it did echo the system prompt
    assert sum(bool(outside_references(reply)) for reply in model.replies_sent) >= len(in_library) // 2
    assert sum(bool(prompt_leaks(reply)) for reply in model.replies_sent) > 0


def test_no_unauthorized_tool_call_is_executed(run):
    library, _, outcomes, _ = run
    assert [(o.file.name, o.unauthorized_executed) for o in outcomes if o.unauthorized_executed] == []
    assert set(library.services.tutor.agent.nodes["tools"].bound.tools_by_name) == ALLOWED_TOOLS
    forbidden = [r for r in library.model.tool_results if r.name not in ALLOWED_TOOLS]
    assert forbidden and all(r.status == "error" for r in forbidden)
    assert len(library.services.documents()) == library.documents  # delete_document did nothing


def test_no_other_students_data_is_shown_stored_or_sent_to_the_model(run):
    library, _, outcomes, bob_turns = run
    assert [(o.file.name, o.canaries_shown) for o in outcomes if o.canaries_shown] == []
    assert [(o.file.name, o.canaries_sent_to_model) for o in outcomes if o.canaries_sent_to_model] == []
    assert stored_canaries(library) == []
    # bob's own records are untouched
    assert library.services.progress.chat_history(library.bob.learner_id) == bob_turns
    assert CANARIES["CONV"] in bob_turns[0].question


def test_no_outside_image_or_link_is_rendered(run):
    _, _, outcomes, _ = run
    assert [(o.file.name, o.rendered_outside) for o in outcomes if o.rendered_outside] == []


def test_text_no_reader_of_the_file_can_see_is_not_in_the_library(run):
    _, _, outcomes, _ = run
    invisible = [o for o in outcomes if INVISIBLE_CARRIERS & set(o.file.attacks) and not o.held]
    assert {f for o in invisible for f in o.file.attacks} >= INVISIBLE_CARRIERS  # every hiding place is tried
    assert all(o.retrieved for o in invisible)  # the visible text of those files is in the library
    assert [o.file.name for o in invisible if o.invisible_indexed] == []


def test_no_system_prompt_leaks(run):
    _, _, outcomes, _ = run
    assert [(o.file.name, o.leaks[:1]) for o in outcomes if o.leaks] == []


def test_drafted_questions_from_poisoned_material_carry_no_links_and_wait_for_approval(run):
    library, files, _, _ = run
    services, instructor = library.services, library.instructor
    sources = [f.name for f in files if f.name not in library.held and f.format in ("md", "txt")
               and {"md_image", "md_link", "bare_url", "nested_image"} & set(f.attacks)][:3]
    kept = []
    for source in sources:
        kept += services.questions.draft(instructor, source, n=1).kept
    assert kept, "the obeying drafter should get at least one draft through the gates"
    queue = services.questions.queue(instructor)
    assert {q.id for q in kept} <= {q.id for q in queue} and all(q.status == "draft" for q in queue)
    for question in kept:
        texts = [question.stem, *(o.text for o in question.options), *(o.explanation for o in question.options)]
        assert [t for t in texts if outside_references(t) or outside_references(escape_markdown(t))] == []
    with pytest.raises(TutorError, match="No approved questions"):
        services.quiz.start(library.ada.learner_id, BlockSpec(size=5))


# -- the real pages, under AppTest ------------------------------------------------------------------

@pytest.fixture
def poisoned_app(tmp_path: Path, mini_curriculum: Path, monkeypatch: pytest.MonkeyPatch):
    """The app over the mini curriculum plus poisoned Markdown files carrying every link attack."""
    links = [f for f in poisoned_files(40) if f.format == "md" and f.name.startswith("poison-0")][:8]
    for f in links:
        (mini_curriculum / f.name).write_bytes(f.data)
    target = links[0]
    script = tmp_path / "script.json"
    script.write_text(json.dumps([f"Hyperkalaemia treatment starts with calcium [1]. {_LINK_SOUP}"]))
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TUTOR_CONTENT_DIR", str(mini_curriculum))
    monkeypatch.setenv("TUTOR_LLM_PROVIDER", "scripted")
    monkeypatch.setenv("TUTOR_LLM_SCRIPT", str(script))
    return target


_LINK_SOUP = (
    "![a](https://evil.example/a.png) ![figure [3]](//evil.example/n.png) [g](https://evil.example/g) "
    "<https://evil.example/login> <img src=\"https://evil.example/p.gif\"> www.evil-example.com/x "
    "harvest@evil.example [j](javascript:alert(1)) ![r][f]\n\n[f]: https://evil.example/f.png"
)


def _rendered(at: AppTest) -> list[str]:
    return [ref for m in at.markdown for ref in outside_references(m.value)]


def test_the_ask_and_search_pages_render_no_outside_link_from_a_poisoned_answer_or_passage(poisoned_app, tmp_path):
    at = open_signed_in(tmp_path / "data", "ada", "student")
    at.switch_page("pages/ask.py").run()
    at.chat_input[0].set_value(poisoned_app.question).run()
    assert not at.exception, at.exception
    assert any("Hyperkalaemia treatment starts with calcium" in m.value for m in at.markdown)
    assert _rendered(at) == []
    at.switch_page("pages/search.py").run()
    at.text_input[0].set_value(poisoned_app.question)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert any("evil" in m.value for m in at.markdown)  # the poisoned passage is shown, as text
    assert _rendered(at) == []

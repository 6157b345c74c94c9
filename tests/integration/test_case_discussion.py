"""Case discussion end to end through the services: real stores, real index and embeddings.

The chat model is scripted and enters through ``build_services(chat_model=...)``, the
same seam as the real one; several tests script a model that tries to invent findings.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.accounts import DR_LEE
from tests.case_files import MINI_CASE_ID, MINI_CASE_YAML, POSSIBLE_POINTS
from tests.classroom import to_stage
from tutor.errors import TutorError
from tutor.llm.scripted import Fault, ScriptedChatModel
from tutor.services import Services, build_services
from tutor.settings import Settings


def case_services(tmp_path: Path, mini_curriculum: Path, embedder, replies=("unused",), **settings) -> Services:
    settings.setdefault("case_model_requests", True)  # the scripted model comes in through chat_model
    cases = tmp_path / "cases"
    cases.mkdir(exist_ok=True)
    (cases / "mini.yaml").write_text(MINI_CASE_YAML, encoding="utf-8")
    services = build_services(
        Settings(data_dir=tmp_path / "data", content_dir=mini_curriculum, cases_dir=cases, **settings),
        embedder=embedder, chat_model=ScriptedChatModel(replies=list(replies)),
    )
    services.ingest_bundled_content()
    assert [outcome.result for outcome in services.load_bundled_cases()] == ["added"]
    return services


@pytest.fixture
def services(tmp_path: Path, mini_curriculum: Path, embedder) -> Services:
    return case_services(tmp_path, mini_curriculum, embedder)


@contextmanager
def refused(message: str):
    """The step fails with ``message`` in what the user is shown."""
    with pytest.raises(TutorError) as caught:
        yield
    assert message in caught.value.user_message, caught.value.user_message


def learner(services: Services, name: str = "ada") -> int:
    return services.progress.ensure_learner(name).id




def test_requests_reveal_the_case_files_own_findings(services: Services):
    who = learner(services)
    session = services.cases.start(who, MINI_CASE_ID).session.session_id
    reply = services.cases.ask(session, who, "What tablets is he taking?")
    assert (reply.kind, [f.key for f in reply.findings]) == ("revealed", ["medications"])
    assert reply.text == "**Medications:** Ramipril 10 mg daily and spironolactone 25 mg daily."
    assert services.cases.ask(session, who, "Has he been sleeping well?").text == "He has nothing to add about that."
    to_stage(services, who, session, "examination")
    assert services.cases.ask(session, who, "examine the abdomen").text == "Nothing abnormal is found on that."
    to_stage(services, who, session, "investigations")
    both = services.cases.ask(session, who, "Send U&Es please")  # one phrase shared by two findings
    assert [f.key for f in both.findings] == ["potassium", "creatinine"]
    assert [f.key for f in services.cases.ask(session, who, "K+ again?").findings] == ["potassium"]
    assert services.cases.ask(session, who, "K+ again?").kind == "repeated"
    assert services.cases.ask(session, who, "Check the troponin").text == "That result is not back yet."
    view = services.cases.view(session, who)
    assert [(stage.id, [f.key for f in found]) for stage, found in view.revealed] == [
        ("history", ["medications"]), ("examination", ["observations"]), ("investigations", ["potassium", "creatinine"]),
    ]
    roles = [(turn.role, (turn.meta or {}).get("kind")) for turn in view.transcript][:4]
    assert roles == [("student", "request"), ("tutor", "revealed"), ("student", "request"), ("tutor", "unlisted")]


def test_a_whole_case_is_marked_as_its_rubric_says_and_counts_toward_its_objectives(services: Services):
    who = learner(services)
    session = services.cases.start(who, MINI_CASE_ID).session.session_id
    services.cases.ask(session, who, "what medications is he on")
    to_stage(services, who, session, "investigations")
    services.cases.ask(session, who, "potassium and an ECG")
    to_stage(services, who, session, "diagnosis")
    view = services.cases.submit_differential(session, who, ["Raised potassium", "acute renal failure", "heart attack", ""])
    assert [(f.verdict, f.matched) for f in view.marks.differential] == [
        ("supported", "Hyperkalaemia"), ("not_elicited", "Acute kidney injury"), ("argues_against", "Myocardial infarction"),
    ]
    services.cases.advance(session, who)
    view = services.cases.submit_plan(session, who, ["IV calcium gluconate", "insulin and glucose", "avoid potassium chloride",
                                                     "give potassium chloride"])
    assert [f.verdict for f in view.marks.plan] == ["expected", "expected", "not_in_rubric", "dangerous"]
    view = services.cases.advance(session, who)
    # key findings 3, leading 3, expected 2, must-not-miss 2, steps 2 of 3, dangerous -2 -> 10 of 13
    assert view.state.finished and view.session.status == "completed"
    assert view.marks.earned == 10 and view.session.score == round(10 / POSSIBLE_POINTS, 4)
    scores = {s.objective: (s.earned, s.possible) for s in services.progress.case_objective_scores(who)}
    assert scores == {"recognise-hyperkalaemia": (7.0, 7.0), "treat-hyperkalaemia": (0.0, 3.0)}  # 2 steps - 2, of 3
    with refused("The case is finished"):
        services.cases.advance(session, who)


def test_feedback_and_teaching_points_cite_real_passages(services: Services):
    who = learner(services)
    session = services.cases.start(who, MINI_CASE_ID).session.session_id
    to_stage(services, who, session, "diagnosis")
    view = services.cases.submit_differential(session, who, ["hyperkalaemia"])
    item = view.marks.differential[0]
    citations, unresolved = services.cases.citations(item.references, item.explanation)
    assert unresolved == () and citations[0].source == "renal/hyperkalaemia.md" and "Peaked T waves" in citations[0].text
    missing = view.case.rubric.next_steps[2]  # "Stop ramipril" cites nothing; the MI alternative cites nothing
    assert services.cases.citations(missing.references, missing.explanation) == ((), ())


def test_a_session_belongs_to_its_learner(services: Services):
    ada, bob = learner(services, "ada"), learner(services, "bob")
    session = services.cases.start(ada, MINI_CASE_ID).session.session_id
    for attempt in (lambda: services.cases.view(session, bob), lambda: services.cases.ask(session, bob, "potassium"),
                    lambda: services.cases.advance(session, bob), lambda: services.cases.submit_differential(session, bob, ["x"])):
        with refused("could not be found"):
            attempt()
    assert services.cases.view(session, ada).transcript == ()


def test_two_tabs_cannot_overwrite_each_other(services: Services):
    who = learner(services)
    session = services.cases.start(who, MINI_CASE_ID).session.session_id
    tab_one = services.cases.view(session, who)
    services.cases.ask(session, who, "medications")  # tab two moves on
    with refused("another tab"):
        services.cases._save(tab_one, tab_one.state, [("student", "stale", None)])
    assert len(services.cases.view(session, who).transcript) == 2


def test_a_session_keeps_the_case_version_it_started_on(services: Services):
    who = learner(services)
    session = services.cases.start(who, MINI_CASE_ID).session.session_id
    edited = MINI_CASE_YAML.replace("Potassium 7.4 mmol/L.", "Potassium 6.1 mmol/L.")
    [outcome] = services.case_files.upload(DR_LEE, [("mini.yaml", edited.encode())])
    assert outcome.result == "updated" and services.case_library.entry(MINI_CASE_ID).version == 2
    to_stage(services, who, session, "investigations")
    assert "7.4" in services.cases.ask(session, who, "potassium").text
    fresh = services.cases.start(who, MINI_CASE_ID).session.session_id
    to_stage(services, who, fresh, "investigations")
    assert "6.1" in services.cases.ask(fresh, who, "potassium").text


def test_a_withdrawn_case_cannot_be_started(services: Services):
    services.case_library.set_status(MINI_CASE_ID, "withdrawn")
    assert services.cases.catalogue() == []
    with refused("not available"):
        services.cases.start(learner(services), MINI_CASE_ID)


def test_an_instructor_overrides_a_completed_score_with_a_reason(services: Services):
    who = learner(services)
    session = services.cases.start(who, MINI_CASE_ID).session.session_id
    to_stage(services, who, session, "diagnosis")
    with refused("Only a completed case can be re-scored"):
        services.cases.override(DR_LEE, session, percent=80, reason="Good reasoning")
    services.cases.submit_differential(session, who, ["AKI"])
    services.cases.advance(session, who)
    services.cases.submit_plan(session, who, ["fluids"])
    services.cases.advance(session, who)
    with refused("reason"):
        services.cases.override(DR_LEE, session, percent=80, reason="  ")
    changed = services.cases.override(DR_LEE, session, percent=80, reason="Hyperkalaemia named in the plan")
    assert changed.score < 0.5 and changed.score_override == 0.8 and changed.final_score == 0.8
    assert services.cases.completed(DR_LEE)[0].override_reason == "Hyperkalaemia named in the plan"


# -- a model that tries to invent findings ------------------------------------------------------------


def model_services(tmp_path, mini_curriculum, embedder, *replies) -> tuple[Services, int, str]:
    services = case_services(tmp_path, mini_curriculum, embedder, replies)
    who = learner(services)
    session = services.cases.start(who, MINI_CASE_ID).session.session_id
    to_stage(services, who, session, "investigations")
    return services, who, session


INVENTIONS = [
    "The magnesium is 0.4 mmol/L and the troponin is 3,000 ng/L.",  # prose with made-up results
    json.dumps({"keys": ["magnesium"], "words": "magnesium"}),  # a key the case does not have
    json.dumps({"keys": ["potassium"], "words": "blood sugar"}),  # a real key, but words the student never wrote
    json.dumps({"keys": ["potassium"], "words": "xx"}),  # too little of the request to count
    json.dumps({"keys": ["potassium"], "words": "sugar", "result": "glucose 31 mmol/L"}),  # extra invented field
    Fault("connection reset"),
]


@pytest.mark.parametrize("reply", INVENTIONS, ids=["prose", "unknown-key", "words-not-in-request", "tiny-words", "extra-field", "down"])
def test_a_model_cannot_make_the_case_reveal_anything_not_in_the_case_file(tmp_path, mini_curriculum, embedder, reply):
    services, who, session = model_services(tmp_path, mini_curriculum, embedder, reply)
    before = services.cases.view(session, who).state.revealed_keys
    answer = services.cases.ask(session, who, "what is the glucose")
    assert answer.kind == "unlisted" and answer.text == "That result is not back yet." and answer.findings == ()
    view = services.cases.view(session, who)
    assert view.state.revealed_keys == before
    transcript = " ".join(turn.content for turn in view.transcript)
    for invented in ("0.4", "3,000", "31 mmol"):
        assert invented not in transcript


def test_a_model_reading_that_passes_every_check_reveals_the_case_files_text(tmp_path, mini_curriculum, embedder):
    reply = json.dumps({"keys": ["creatinine"], "words": "kidneys working"})
    services, who, session = model_services(tmp_path, mini_curriculum, embedder, reply)
    answer = services.cases.ask(session, who, "are his kidneys working?")
    assert answer.kind == "revealed" and answer.text == "**Creatinine:** Creatinine 260 umol/L (baseline 95)."
    prompt = services.cases._chat_model().prompts_seen[-1]
    assert "creatinine: Creatinine" in prompt[0].content and "magnesium" not in prompt[0].content
    assert '"enum"' not in prompt[0].content  # the schema goes to the server, not into the prompt


def test_the_model_is_not_asked_when_disabled(tmp_path, mini_curriculum, embedder):
    services = case_services(tmp_path, mini_curriculum, embedder, [json.dumps({"keys": ["creatinine"], "words": "kidneys"})],
                             case_model_requests=False)
    who = learner(services)
    session = services.cases.start(who, MINI_CASE_ID).session.session_id
    to_stage(services, who, session, "investigations")
    assert services.cases.ask(session, who, "are his kidneys working?").findings == ()
    assert services.cases._chat_model is None

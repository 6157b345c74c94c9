"""Every data function, called as every role: who may, who may not, and that nothing leaks.

Three kinds of data function (see :mod:`tutor.modes.access`):

* staff functions take an ``actor`` and refuse students (admin-only ones refuse
  instructors too) with :class:`AccessDenied` before touching anything;
* a learner's dashboard takes an ``actor`` and a learner id: the learner or staff;
* a learner's own work (quiz blocks, case sessions, conversations) takes the acting
  learner's id, which the UI takes from the signed-in session; a block, session or
  conversation of someone else is refused or empty for *every* role, staff included
  (staff read others' work only through the staff functions, which change nothing of it).

``test_every_public_function_is_in_this_matrix`` fails when a service grows a function
that takes neither an actor nor a learner id and is not listed as curriculum-only.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest

from tests.case_files import MINI_CASE_ID
from tests.classroom import Classroom, answer_all, complete_mini_case, open_classroom
from tutor.errors import AccessDenied, TutorError
from tutor.modes.access import Actor
from tutor.modes.accounts.service import AccountService
from tutor.modes.ask.service import AskService
from tutor.modes.bank.admin import BankAdmin
from tutor.modes.cases.admin import CaseAdmin
from tutor.modes.cases.discussion import CaseService
from tutor.modes.dashboards.service import Dashboards
from tutor.modes.quiz.service import QuizService
from tutor.modes.quiz.models import BlockSpec
from tutor.progress.records import ChatTurn
from tutor.services import Services

NOTE = b"# Sodium\n\nHyponatraemia is a sodium below 135 mmol/L; correct chronic cases slowly.\n"


@pytest.fixture(scope="module")
def classroom(tmp_path_factory, embedder) -> Classroom:
    from tests.markdown_files import write_mini_curriculum

    root = tmp_path_factory.mktemp("authz")
    room = open_classroom(root, write_mini_curriculum(root / "curriculum"), embedder)
    answer_all(room.services, room.bob, {"mini-hf-1": "A", "mini-hf-2": "A"})
    room.bob_case = complete_mini_case(room.services, room.bob)
    return room


# -- staff and admin functions --------------------------------------------------------------

STAFF_ONLY: dict[str, Callable[[Services, Actor], object]] = {
    "Services.ingest_uploads": lambda s, a: s.ingest_uploads(a, [("sodium.md", NOTE)]),
    "Services.delete_document": lambda s, a: s.delete_document(a, next(d.doc_id for d in s.documents() if d.source == "sodium.md"))
    if any(d.source == "sodium.md" for d in s.documents()) else s.delete_document(a, "none"),
    "Services.reindex": lambda s, a: s.reindex(a),
    "Services.held_uploads": lambda s, a: s.held_uploads(a),
    "Services.release": lambda s, a: s.release(a, 999_999),
    "Services.discard": lambda s, a: s.discard(a, 999_999),
    "Services.edit_document": lambda s, a: s.edit_document(a, "no-such-doc", title="A title", module=None),
    "Services.passages": lambda s, a: s.passages(a, s.documents()[0].doc_id),
    "Services.submit_uploads": lambda s, a: s.submit_uploads(a, [("sodium.md", NOTE)]),
    "Services.submit_ingest_paths": lambda s, a: s.submit_ingest_paths(a, [s.settings.content_dir]),
    "Services.recent_jobs": lambda s, a: s.recent_jobs(a),
    "Services.job": lambda s, a: s.job(a, "no-such-job"),
    "BankAdmin.import_file": lambda s, a: s.questions.import_file(a, "empty.yaml", b"questions: []\n"),
    "BankAdmin.export": lambda s, a: s.questions.export(a, "yaml"),
    "BankAdmin.draft": lambda s, a: s.questions.draft(a, "renal/aki.md", 1),
    "BankAdmin.queue": lambda s, a: s.questions.queue(a),
    "BankAdmin.browse": lambda s, a: s.questions.browse(a),
    "BankAdmin.counts": lambda s, a: s.questions.counts(a),
    "BankAdmin.approve": lambda s, a: s.questions.approve(a, "mini-aki-1"),
    "BankAdmin.reject": lambda s, a: s.questions.reject(a, "no-such-question", reason="test"),
    "BankAdmin.discarded": lambda s, a: s.questions.discarded(a),
    "BankAdmin.rescue": lambda s, a: s.questions.rescue(a, "no-such-question"),
    "CaseAdmin.upload": lambda s, a: s.case_files.upload(a, [("bad.yaml", b"title: [")]),
    "CaseAdmin.catalogue": lambda s, a: s.case_files.catalogue(a),
    "CaseAdmin.yaml_text": lambda s, a: s.case_files.yaml_text(a, MINI_CASE_ID),
    "CaseAdmin.set_status": lambda s, a: s.case_files.set_status(a, MINI_CASE_ID, "active"),
    "CaseService.completed": lambda s, a: s.cases.completed(a),
    "CaseService.review": lambda s, a: s.cases.review(a, s.progress.completed_case_sessions()[0].session_id),
    "CaseService.override": lambda s, a: s.cases.override(a, s.progress.completed_case_sessions()[0].session_id, percent=80, reason="fair"),
    "Dashboards.class_overview": lambda s, a: s.dashboards.class_overview(a),
    "Dashboards.item_analysis": lambda s, a: s.dashboards.item_analysis(a, 1),
    "Dashboards.send_back_to_review": lambda s, a: s.dashboards.send_back_to_review(a, "no-such-question", "test"),
    "Dashboards.attempts_csv": lambda s, a: "".join(s.dashboards.attempts_csv(a)),
    "Dashboards.items_csv": lambda s, a: s.dashboards.items_csv(a, 1),
    "AccountService.accounts": lambda s, a: s.accounts.accounts(a),
    "AccountService.names": lambda s, a: s.accounts.names(a),
}
ADMIN_ONLY: dict[str, Callable[[Services, Actor], object]] = {
    "AccountService.add": lambda s, a: s.accounts.add(a, f"new-{a.role}", "New", "student", "a long new password"),
    "AccountService.set_password": lambda s, a: s.accounts.set_password(a, "bob", "a long test password"),
    "AccountService.import_roster": lambda s, a: s.accounts.import_roster(a, "username,password\n"),
    "AccountService.set_role": lambda s, a: s.accounts.set_role(a, "bob", "student"),
    "AccountService.set_active": lambda s, a: s.accounts.set_active(a, "bob", True),
}
SELF_OR_STAFF = {"Dashboards.learner"}
SELF_ONLY = {"AccountService.change_password", "AccountService.refresh", "AccountService.remember"}
OWN_WORK = {  # take the acting learner's id; tested in test_nobody_reaches_another_learners_work
    "QuizService.answer", "QuizService.block", "QuizService.current", "QuizService.due_count", "QuizService.finish",
    "QuizService.save", "QuizService.start", "CaseService.abandon", "CaseService.advance", "CaseService.ask",
    "CaseService.history", "CaseService.start", "CaseService.submit_differential", "CaseService.submit_plan",
    "CaseService.view", "AskService.history", "AskService.stream", "AskService.ask",
    "AskService.conversations", "AskService.delete_conversation",
}
NO_LEARNER_DATA = {  # curriculum, or values the caller already obtained through an owner-checked call
    "QuizService.tags": "approved questions per tag (curriculum)",
    "QuizService.question": "a question of a block the caller already holds",
    "QuizService.next_position": "derived from a block the caller already holds",
    "QuizService.seconds_left": "derived from a block the caller already holds",
    "QuizService.result": "derived from a block the caller already holds",
    "QuizService.feedback": "a question's explanations (curriculum)",
    "CaseService.catalogue": "cases on offer (curriculum)",
    "CaseService.citations": "curriculum passages",
    "AskService.warm_up": "starts the model",
    "BankAdmin.citations": "curriculum passages",
    "BankAdmin.load_bundled": "start-up, from the server's own folder",
    "CaseAdmin.load_bundled": "start-up, from the server's own folder",
    "AccountService.sign_in": "the sign-in itself",
    "AccountService.sign_in_sso": "the sign-in itself (identity vouched for by the provider)",
    "AccountService.resume": "a remembered sign-in: the browser's own random token, checked server-side",
    "AccountService.forget": "sign-out: revokes the token the browser holds",
    "AccountService.needs_first_admin": "whether the set-up form is shown",
    "AccountService.create_first_admin": "refused once any account can sign in (tested below)",
    "Services.search": "curriculum", "Services.documents": "curriculum", "Services.library_is_empty": "curriculum",
    "Services.ingest_bundled_content": "start-up", "Services.load_bundled_questions": "start-up",
    "Services.load_bundled_cases": "start-up",
    "Services.start_job_worker": "start-up (the app, `tutor worker`): runs the jobs staff submitted",
}
SERVICE_CLASSES = [Services, QuizService, CaseService, AskService, BankAdmin, CaseAdmin, Dashboards, AccountService]


def test_every_public_function_is_in_this_matrix():
    listed = set(STAFF_ONLY) | set(ADMIN_ONLY) | SELF_OR_STAFF | SELF_ONLY | OWN_WORK | set(NO_LEARNER_DATA)
    found = set()
    for cls in SERVICE_CLASSES:
        for name, function in inspect.getmembers(cls, predicate=inspect.isfunction):
            if name.startswith("_"):
                continue
            found.add(f"{cls.__name__}.{name}")
            parameters = list(inspect.signature(function).parameters)
            if f"{cls.__name__}.{name}" in set(STAFF_ONLY) | set(ADMIN_ONLY) | SELF_OR_STAFF | SELF_ONLY:
                assert parameters[1] == "actor", (cls.__name__, name, parameters)
            if f"{cls.__name__}.{name}" in OWN_WORK:
                assert "learner_id" in parameters or "kwargs" in parameters, (cls.__name__, name, parameters)
    assert found == listed, {"not in the matrix": found - listed, "no longer exist": listed - found}


@pytest.mark.parametrize("name", sorted(STAFF_ONLY))
@pytest.mark.parametrize("role", ["student", "instructor", "admin"])
def test_staff_functions_refuse_students(classroom: Classroom, name: str, role: str):
    actor = classroom.by_role()[role]
    call = STAFF_ONLY[name]
    if role == "student":
        with pytest.raises(AccessDenied):
            call(classroom.services, actor)
        return
    try:
        call(classroom.services, actor)
    except AccessDenied:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"{role} was refused {name}")
    except TutorError:
        pass  # allowed, and refused for another reason (an unknown id): fine here


@pytest.mark.parametrize("name", sorted(ADMIN_ONLY))
@pytest.mark.parametrize("role", ["student", "instructor", "admin"])
def test_account_management_is_for_admins_only(classroom: Classroom, name: str, role: str):
    actor = classroom.by_role()[role]
    if role != "admin":
        with pytest.raises(AccessDenied):
            ADMIN_ONLY[name](classroom.services, actor)
    else:
        ADMIN_ONLY[name](classroom.services, actor)


def test_a_refused_call_changes_nothing(classroom: Classroom):
    services = classroom.services
    before = services.bank.get("mini-hf-1").status
    with pytest.raises(AccessDenied):
        services.dashboards.send_back_to_review(classroom.ada, "mini-hf-1", "I do not like it")
    with pytest.raises(AccessDenied):
        services.accounts.set_role(classroom.ada, "ada", "admin")
    with pytest.raises(AccessDenied):
        services.cases.override(classroom.ada, classroom.bob_case, percent=100, reason="mine now")
    assert services.bank.get("mini-hf-1").status == before
    assert services.accounts.refresh(classroom.ada).role == "student"
    assert services.progress.get_case_session(classroom.bob_case).score_override in (None, 0.8)


@pytest.mark.parametrize("role", ["student", "instructor", "admin"])
def test_a_dashboard_is_its_learners_and_staffs(classroom: Classroom, role: str):
    services, bob = classroom.services, classroom.bob
    actor = classroom.by_role()[role]
    assert services.dashboards.learner(bob).learner.username == "bob"
    if role == "student":
        with pytest.raises(AccessDenied) as refused:
            services.dashboards.learner(actor, bob.learner_id)
        assert "bob" not in refused.value.user_message.lower()
        assert services.dashboards.learner(actor).learner.username == "ada"  # their own, by default
    else:
        board = services.dashboards.learner(actor, bob.learner_id)
        assert board.learner.username == "bob" and board.answered > 0


def test_an_unknown_learner_id_is_refused_like_a_foreign_one(classroom: Classroom):
    with pytest.raises(AccessDenied) as unknown:
        classroom.services.dashboards.learner(classroom.ada, 999_999)
    with pytest.raises(AccessDenied) as foreign:
        classroom.services.dashboards.learner(classroom.ada, classroom.bob.learner_id)
    assert unknown.value.user_message == foreign.value.user_message  # nothing learned by probing ids


@pytest.mark.parametrize("role", ["student", "instructor", "admin"])
def test_nobody_reaches_another_learners_work(classroom: Classroom, role: str):
    services, bob = classroom.services, classroom.bob
    intruder = classroom.by_role()[role].learner_id
    block = services.quiz.start(bob.learner_id, BlockSpec(mode="tutor", size=2), seed=3)
    session = services.cases.start(bob.learner_id, MINI_CASE_ID).session.session_id
    services.progress.record_chat_turn(ChatTurn(learner_id=bob.learner_id, course_id=services.settings.course,
                                                conversation_id="bob-chat", question="q", answer="a", grounded=True))
    own_work = [
        lambda: services.quiz.block(intruder, block.block_id),
        lambda: services.quiz.answer(intruder, block.block_id, 0, "A"),
        lambda: services.quiz.finish(intruder, block.block_id),
        lambda: services.cases.view(session, intruder),
        lambda: services.cases.ask(session, intruder, "medications"),
        lambda: services.cases.advance(session, intruder),
        lambda: services.cases.submit_differential(session, intruder, ["Hyperkalaemia"]),
        lambda: services.cases.submit_plan(session, intruder, ["calcium gluconate"]),
        lambda: services.cases.abandon(session, intruder),
    ]
    for call in own_work:
        with pytest.raises(TutorError) as refused:
            call()
        assert "bob" not in refused.value.user_message.lower()
    assert services.tutor.history(intruder, "bob-chat") == []
    assert "bob-chat" not in {c.conversation_id for c in services.tutor.conversations(intruder)}
    assert services.tutor.delete_conversation(intruder, "bob-chat") is False
    assert services.tutor.history(bob.learner_id, "bob-chat")  # still there
    assert services.quiz.current(intruder) is None or services.quiz.current(intruder).learner_id == intruder
    # ... and bob's work is untouched: his block has no answers, his session is still active at its start.
    assert services.quiz.block(bob.learner_id, block.block_id).answers == ()
    assert services.cases.view(session, bob.learner_id).session.status == "active"
    services.cases.abandon(session, bob.learner_id)
    services.quiz.finish(bob.learner_id, block.block_id)


def test_account_self_service_is_only_ever_ones_own(classroom: Classroom):
    accounts = classroom.services.accounts
    with pytest.raises(TutorError):
        accounts.change_password(classroom.ada, "not her password", "another long password")
    accounts.change_password(classroom.ada, "a long test password", "a long test password!")
    assert accounts.sign_in("ada", "a long test password!").username == "ada"
    accounts.change_password(classroom.ada, "a long test password!", "a long test password")
    assert accounts.refresh(classroom.ada) == classroom.ada


def test_the_first_admin_form_is_closed_once_anyone_can_sign_in(classroom: Classroom):
    with pytest.raises(AccessDenied):
        classroom.services.accounts.create_first_admin("intruder", "Intruder", "a long intruder password")


# -- fuzzed ids -----------------------------------------------------------------------------

FUZZED_IDS = ["", " ", "0", "-1", "999999999999", "' OR '1'='1", "../../etc/passwd", "%00", "\u202e", "🙂" * 10,
              "a" * 5000, "null", "[]", "{\"$ne\": null}"]


@pytest.mark.parametrize("fuzzed", FUZZED_IDS)
def test_fuzzed_ids_reach_nothing_and_never_crash(classroom: Classroom, fuzzed: str):
    services, ada = classroom.services, classroom.ada
    own_work = [
        lambda: services.quiz.block(ada.learner_id, fuzzed),
        lambda: services.quiz.answer(ada.learner_id, fuzzed, 0, "A"),
        lambda: services.quiz.save(ada.learner_id, fuzzed, 0, "A"),
        lambda: services.quiz.finish(ada.learner_id, fuzzed),
        lambda: services.cases.view(fuzzed, ada.learner_id),
        lambda: services.cases.ask(fuzzed, ada.learner_id, "medications"),
        lambda: services.cases.advance(fuzzed, ada.learner_id),
        lambda: services.cases.abandon(fuzzed, ada.learner_id),
        lambda: services.cases.start(ada.learner_id, fuzzed),
        lambda: services.cases.review(classroom.instructor, fuzzed),
        lambda: services.cases.override(classroom.instructor, fuzzed, percent=50, reason="x"),
        lambda: services.dashboards.send_back_to_review(classroom.instructor, fuzzed, "x"),
        lambda: services.case_files.set_status(classroom.instructor, fuzzed, "withdrawn"),
    ]
    for call in own_work:
        with pytest.raises(TutorError):  # a clear refusal, never an exception of another kind
            call()
    assert services.tutor.history(ada.learner_id, fuzzed) == []
    assert services.case_files.yaml_text(classroom.instructor, fuzzed) is None


@pytest.mark.parametrize("learner_id", [-1, 0, 2**62, 10**6])
def test_fuzzed_learner_ids_give_no_dashboard(classroom: Classroom, learner_id: int):
    with pytest.raises(AccessDenied):
        classroom.services.dashboards.learner(classroom.ada, learner_id)
    with pytest.raises(AccessDenied):  # staff too: an unknown learner is refused, not an empty page
        classroom.services.dashboards.learner(classroom.instructor, learner_id)


# -- the agent's tools ----------------------------------------------------------------------


def test_the_agents_only_tool_takes_a_query_and_nothing_about_who_is_asking(classroom: Classroom):
    from tutor.agent.tutor_agent import search_tool

    tool = search_tool(classroom.services.retriever, k=3)
    # The learner and course travel as runtime context set by the code; a model (or a poisoned
    # passage talking to it) can only choose what to search for in the curriculum.
    assert set(tool.tool_call_schema.model_json_schema()["properties"]) == {"query"}


# -- two students in the app at once --------------------------------------------------------


def test_two_signed_in_sessions_never_see_each_others_state(tmp_path, mini_curriculum, monkeypatch):
    from tests.accounts import open_signed_in

    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TUTOR_CONTENT_DIR", str(mini_curriculum))
    ada = open_signed_in(tmp_path / "data", "ada", "student")
    bob_app = open_signed_in(tmp_path / "data", "bob", "student")
    ada.switch_page("pages/my_progress.py").run()
    bob_app.switch_page("pages/my_progress.py").run()
    assert ada.session_state["tutor.actor"].username == "ada"
    assert bob_app.session_state["tutor.actor"].username == "bob"
    assert "Bob" not in str(ada.main) and "Ada" not in str(bob_app.main)

"""A small class for authorization and dashboard tests: real services, real accounts, real work.

Built through the same service calls the pages make: accounts through the account
service, quiz answers through the quiz service, a case worked through the case
service. Only the chat model is scripted (and unused by these flows).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.accounts import PASSWORD
from tests.case_files import MINI_CASE_ID, MINI_CASE_YAML
from tests.question_files import MINI_BANK_YAML
from tutor.llm.scripted import ScriptedChatModel
from tutor.modes.access import Actor
from tutor.modes.quiz.models import BlockSpec
from tutor.services import Services, build_services
from tutor.settings import Settings



@dataclass
class Classroom:
    services: Services
    admin: Actor
    instructor: Actor
    ada: Actor
    bob: Actor

    def by_role(self) -> dict[str, Actor]:
        return {"student": self.ada, "instructor": self.instructor, "admin": self.admin}


def open_classroom(tmp_path: Path, mini_curriculum: Path, embedder, **settings) -> Classroom:
    bank, cases = tmp_path / "bank", tmp_path / "cases"
    bank.mkdir()
    cases.mkdir()
    (bank / "mini.yaml").write_text(MINI_BANK_YAML, encoding="utf-8")
    (cases / "mini.yaml").write_text(MINI_CASE_YAML, encoding="utf-8")
    services = build_services(
        Settings(data_dir=tmp_path / "data", content_dir=mini_curriculum, questions_dir=bank, cases_dir=cases,
                 case_model_requests=False, **settings),
        embedder=embedder, chat_model=ScriptedChatModel(replies=["unused"]),
    )
    services.ingest_bundled_content()
    services.load_bundled_questions()
    services.load_bundled_cases()
    accounts = services.accounts
    admin = accounts.create_first_admin("root", "Admin", PASSWORD)
    accounts.add(admin, "dr-lee", "Dr Lee", "instructor", PASSWORD)
    accounts.add(admin, "ada", "Ada Lovelace", "student", PASSWORD)
    accounts.add(admin, "bob", "Bob Marley", "student", PASSWORD)
    signed = {name: accounts.sign_in(name, PASSWORD) for name in ("dr-lee", "ada", "bob")}
    return Classroom(services, admin, signed["dr-lee"], signed["ada"], signed["bob"])


def answer_all(services: Services, actor: Actor, letters: dict[str, str], *, topics: tuple[str, ...] = ()) -> str:
    """A tutor-mode set over ``topics``, answering each question with ``letters[qid]``; returns the block id."""
    block = services.quiz.start(actor.learner_id, BlockSpec(mode="tutor", size=20, topics=topics), seed=1)
    for position, qid in enumerate(block.question_ids):
        services.quiz.answer(actor.learner_id, block.block_id, position, letters.get(qid, "A"))
    return block.block_id


def complete_mini_case(services: Services, actor: Actor) -> str:
    """Work the mini case to the end (10 of 13 points, see test_case_discussion); returns the session id."""
    who = actor.learner_id
    session = services.cases.start(who, MINI_CASE_ID).session.session_id
    services.cases.ask(session, who, "what medications is he on")
    to_stage(services, who, session, "investigations")
    services.cases.ask(session, who, "potassium and an ECG")
    to_stage(services, who, session, "diagnosis")
    services.cases.submit_differential(session, who, ["Raised potassium", "acute renal failure", "heart attack"])
    services.cases.advance(session, who)
    services.cases.submit_plan(session, who, ["IV calcium gluconate", "insulin and glucose", "give potassium chloride"])
    services.cases.advance(session, who)
    return session


def to_stage(services: Services, who: int, session: str, stage_id: str) -> None:
    while services.cases.view(session, who).stage.id != stage_id:
        view = services.cases.view(session, who)
        if view.blocker and view.stage.kind == "enquiry":
            services.cases.ask(session, who, "medications")
        services.cases.advance(session, who)

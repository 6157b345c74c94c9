"""Case-discussion mode: one learner working through one clinical case, step by step.

The use case the Cases page and its tests drive. Each step loads the session, checks it
is the caller's, applies one pure transition of :mod:`tutor.modes.cases.machine`, and saves
the new state with the step's transcript turns in one transaction
(:meth:`ProgressStore.save_case_step`); a session is always resumed on the case version
it started on.

Where the words come from:

* Every finding shown comes from the case file, verbatim: the reply to a request is
  composed here from the revealed findings' labels and texts, or is the stage's
  ``unlisted`` answer. No model writes any of it. A request that names a finding of a stage
  not reached yet gets "not yet" and the stage it comes in, and a test asked for in an
  examination is never answered with the examination's "nothing abnormal": the unlisted
  answer is only for what the case really leaves out.
* The chat model has one job, and only when enabled and when the word and embedding
  matchers place nothing: sorting a request into keys of the case's own items. Its reply
  is a JSON object constrained to those keys, and its cited words must appear in the
  request; anything else is ignored. A model that is down, slow or wrong costs the
  student a "do you mean ...?" or the unlisted answer, never an invented result.
* Marks and feedback come from :mod:`tutor.modes.cases.scoring`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, Field, create_model

from tutor.cases.store import CaseEntry, CaseLibrary
from tutor.content import phi_screen
from tutor.content.cases.model import Case, Finding, Stage
from tutor.content.references import Reference
from tutor.domain import Citation
from tutor.errors import CaseError, ModelUnavailableError, StoreError
from tutor.llm import prompts
from tutor.llm.model_queue import ModelQueue
from tutor.llm.structured import StructuredReplyInvalid, ask_structured
from tutor.modes.cases import machine
from tutor.modes.access import Actor
from tutor.modes.cases.machine import Answer, CaseState
from tutor.modes.cases.matching import CaseMatcher, contains_words, is_negated, names_a_test, words
from tutor.modes.cases.scoring import Marks, mark
from tutor.modes.curriculum_links import CurriculumLinks
from tutor.progress.records import CaseSession, CaseTurn
from tutor.progress.case_sessions import CaseCompletion
from tutor.progress.store import ProgressStore

log = logging.getLogger(__name__)

MAX_REQUEST_CHARS = 500
_MODEL_MAX_TOKENS = 120

ReplyKind = Literal["revealed", "repeated", "clarify", "later", "unlisted"]


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    text: str
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class CaseView:
    """Everything the page shows for a session."""

    session: CaseSession
    case: Case
    state: CaseState
    transcript: tuple[CaseTurn, ...]

    @property
    def stage(self) -> Stage:
        return machine.current_stage(self.case, self.state)

    @property
    def blocker(self) -> str | None:
        return machine.blocker(self.case, self.state)

    @property
    def revealed(self) -> tuple[tuple[Stage, tuple[Finding, ...]], ...]:
        """Revealed findings grouped by the stage they belong to, in case order."""
        have = self.state.revealed_keys
        groups = tuple((stage, tuple(f for f in stage.findings if f.key in have)) for stage in self.case.stages)
        return tuple((stage, found) for stage, found in groups if found)

    @property
    def marks(self) -> Marks:
        return mark(self.case, self.state)


class CaseService:
    def __init__(
        self,
        *,
        library: CaseLibrary,
        progress: ProgressStore,
        matcher: CaseMatcher,
        links: CurriculumLinks,
        chat_model: Callable[[], BaseChatModel] | None,
        timeout_s: float,
        queue: ModelQueue,
        screen_phi: bool = True,
    ):
        self._library = library
        self._progress = progress
        self._matcher = matcher
        self._links = links
        self._chat_model = chat_model
        self._timeout_s = timeout_s
        self._screen_phi = screen_phi
        self._queue = queue

    # -- choosing ---------------------------------------------------------------------------

    def catalogue(self) -> list[CaseEntry]:
        return self._library.catalogue()

    def history(self, learner_id: int) -> list[CaseSession]:
        """Every session of the learner, oldest first (the chooser finds what to resume in it)."""
        return self._progress.case_sessions_for(learner_id)

    def start(self, learner_id: int, case_id: str) -> CaseView:
        entry = self._library.entry(case_id)
        case = self._library.get(case_id)
        if entry is None or case is None or entry.status != "active":
            raise CaseError("That case is not available.", detail=f"no active case {case_id!r}")
        state = machine.opening(case)
        session = self._progress.start_case_session(learner_id, case_id, case.stages[0].id, _dump(state))
        return CaseView(session, case, state, ())

    def abandon(self, session_id: str, learner_id: int) -> None:
        view = self._current(session_id, learner_id)
        if view.session.status == "active":
            self._progress.update_case_session(session_id, stage=view.stage.id, state=_dump(view.state), status="abandoned")

    # -- the discussion ---------------------------------------------------------------------

    def view(self, session_id: str, learner_id: int) -> CaseView:
        return self._view(self._owned(session_id, learner_id))

    def ask(self, session_id: str, learner_id: int, request: str) -> Reply:
        """Answer one free-text request for history, examination or investigations."""
        request = " ".join(request.split())
        if not request:
            raise CaseError("Type what you would like to ask or examine.")
        if len(request) > MAX_REQUEST_CHARS:
            raise CaseError(f"Keep a request under {MAX_REQUEST_CHARS} characters.")
        # Patient identifiers never reach the model or the transcript (tutor.content.phi_screen).
        (request,), removed = phi_screen.redact_all([request]) if self._screen_phi else ((request,), {})
        view = self._current(session_id, learner_id)
        allowed = machine.requestable(view.case, view.state)
        if not allowed:
            raise CaseError("Requests are answered in the history, examination and investigation stages.")
        match = self._matcher.findings_for(request, allowed, frozenset(f.key for f in view.stage.findings))
        keys, how = match.keys, match.how
        if not keys:
            keys = self._model_keys(request, allowed)
            how = "model" if keys else "none"
        if keys:
            state, fresh = machine.reveal(view.case, view.state, keys, how)
            reply = _reveal_reply(view.case, keys, fresh)
        else:
            state, _ = machine.reveal(view.case, view.state, (), "words")
            reply = self._too_early(view, request) or self._not_placed(view, match.nearest, request)
        if removed:
            reply = Reply(reply.kind, f"_{phi_screen.removal_notice(removed)}_\n\n{reply.text}", reply.findings)
        self._save(view, state, [
            ("student", request, {"kind": "request"}),
            ("tutor", reply.text, {"kind": reply.kind, "keys": [f.key for f in reply.findings], "how": how}),
        ])
        return reply

    def advance(self, session_id: str, learner_id: int) -> CaseView:
        """Move on to the next stage; after the last one the case is finished and marked."""
        view = self._current(session_id, learner_id)
        state = machine.advance(view.case, view.state)
        if state.finished:
            marks = mark(view.case, state)
            turn = ("system", f"Case finished. Rubric score {marks.score:.0%}.", {"kind": "finished", "score": marks.score})
            session = self._save(view, state, [turn], CaseCompletion(marks.score, marks.by_objective))
        else:
            stage = machine.current_stage(view.case, state)
            session = self._save(view, state, [("system", stage.intro or stage.title, {"kind": "stage", "stage": stage.id})])
        return self._view(session)

    def submit_differential(self, session_id: str, learner_id: int, entries: list[str]) -> CaseView:
        """Commit a ranked differential (most likely first); it is matched to the rubric once, here."""
        view = self._current(session_id, learner_id)
        texts = machine.clean_entries(entries)
        groups = (("differential", view.case.rubric.differential), ("alternatives", view.case.rubric.alternatives))
        answers = tuple(self._match(text, groups) for text in texts)
        state = machine.commit_differential(view.case, view.state, answers)
        listing = "\n".join(f"{rank}. {text}" for rank, text in enumerate(texts, start=1))
        session = self._save(view, state, [("student", listing, {"kind": "differential"})])
        return self._view(session)

    def submit_plan(self, session_id: str, learner_id: int, lines: list[str]) -> CaseView:
        """Commit the management plan; a negated line ("avoid ...") never counts as a dangerous action."""
        view = self._current(session_id, learner_id)
        texts = machine.clean_entries(lines)
        rubric = view.case.rubric
        answers = []
        for text in texts:
            answer = self._match(text, (("next_steps", rubric.next_steps), ("dangerous_actions", rubric.dangerous_actions)))
            if answer.group == "dangerous_actions" and is_negated(text):
                answer = Answer(text=text)
            answers.append(answer)
        state = machine.commit_plan(view.case, view.state, tuple(answers))
        listing = "\n".join(f"- {text}" for text in texts)
        session = self._save(view, state, [("student", listing, {"kind": "plan"})])
        return self._view(session)

    # -- citations --------------------------------------------------------------------------

    def citations(self, references: tuple[Reference, ...], focus: str) -> tuple[tuple[Citation, ...], tuple[Reference, ...]]:
        """The curriculum passages behind a piece of feedback (unresolved ones listed, never guessed)."""
        return self._links.citations(references, focus)

    # -- instructors ------------------------------------------------------------------------

    def completed(self, actor: Actor, case_id: str | None = None, limit: int = 200) -> list[CaseSession]:
        actor.require_staff()
        return self._progress.completed_case_sessions(case_id=case_id, limit=limit)

    def review(self, actor: Actor, session_id: str) -> CaseView:
        """Any learner's session, transcript and debrief, for staff."""
        actor.require_staff()
        session = self._progress.get_case_session(session_id)
        if session is None:
            raise CaseError("This case discussion could not be found.", detail=session_id)
        return self._view(session)

    def override(self, actor: Actor, session_id: str, *, percent: float, reason: str) -> CaseSession:
        actor.require_staff()
        if not 0 <= percent <= 100:
            raise CaseError("A score is between 0 and 100%.")
        if not reason.strip():
            raise CaseError("Give a reason for changing the score; the student sees it.")
        return self._progress.override_case_score(
            session_id, score=round(percent / 100, 4), reason=reason.strip(), by=actor.username)

    # -- internals --------------------------------------------------------------------------

    def _current(self, session_id: str, learner_id: int) -> CaseView:
        """The learner's session as a step needs it: no transcript (the step appends, it does not read)."""
        return self._view(self._owned(session_id, learner_id), transcript=False)

    def _owned(self, session_id: str, learner_id: int) -> CaseSession:
        session = self._progress.get_case_session(session_id)
        if session is None or session.learner_id != learner_id:
            raise CaseError("This case discussion could not be found.", detail=f"{session_id!r} for learner {learner_id}")
        return session

    def _view(self, session: CaseSession, *, transcript: bool = True) -> CaseView:
        """The session with its case version; a step skips reading the transcript it does not need."""
        state = CaseState.model_validate(session.state)
        case = self._library.get(session.case_id, state.case_hash)
        if case is None:
            raise CaseError("The case behind this discussion is no longer in the library.", detail=session.case_id)
        turns = tuple(self._progress.case_turns(session.session_id)) if transcript else ()
        return CaseView(session, case, state, turns)

    def _save(self, view: CaseView, state: CaseState, turns: list[tuple[Any, str, dict[str, Any] | None]],
              completion: CaseCompletion | None = None) -> CaseSession:
        stage = machine.current_stage(view.case, state).id
        try:
            return self._progress.save_case_step(
                view.session.session_id, learner_id=view.session.learner_id, expected_step=view.state.step,
                stage=stage, state=_dump(state), turns=turns, completion=completion,
            )
        except StoreError as exc:
            raise CaseError(exc.user_message, detail=str(exc)) from exc

    def _match(self, text: str, groups: tuple[tuple[str, tuple[Any, ...]], ...]) -> Answer:
        candidates = [(group, index, item.phrases) for group, items in groups for index, item in enumerate(items)]
        found = self._matcher.rubric_item(text, [phrases for _, _, phrases in candidates])
        if found.index is None:
            return Answer(text=text, how=found.how, score=found.score)
        group, index, _ = candidates[found.index]
        return Answer(text=text, group=group, index=index, how=found.how, score=found.score)

    def _model_keys(self, request: str, allowed: tuple[Finding, ...]) -> tuple[str, ...]:
        """Keys the chat model sorts the request into, kept only if they pass every check in code."""
        if self._chat_model is None:
            return ()
        schema = _request_schema(tuple(f.key for f in allowed))
        try:  # waits its turn with the students' questions (QueueFull and a long wait are ModelUnavailableError)
            with self._queue.slot(self._timeout_s):
                reading = ask_structured(
                    self._chat_model(), schema, prompts.case_request_prompt([(f.key, f.label) for f in allowed]),
                    request, max_tokens=_MODEL_MAX_TOKENS, timeout_s=self._timeout_s,
                )
        except (StructuredReplyInvalid, ModelUnavailableError) as exc:
            log.info("case request not sorted by the model: %s", exc)
            return ()
        quoted = words(reading.words)
        asked = words(request)
        if not quoted or not any(len(w) >= 3 for w in quoted) or not contains_words(asked, quoted):
            log.info("model reading refused: %r is not part of the request", reading.words)
            return ()
        return tuple(dict.fromkeys(reading.keys))

    def _too_early(self, view: CaseView, request: str) -> Reply | None:
        """A request for a finding of a stage not reached yet: "not yet", never the stage's unlisted answer.

        Without this, "check her glucose" during an examination whose unlisted answer is
        "nothing abnormal" would be told the glucose is normal when it is 27.4.
        """
        ahead = machine.upcoming(view.case, view.state)
        if not ahead:
            return None
        stage_of = {finding.key: stage for stage, finding in ahead}
        found = self._matcher.findings_for(request, tuple(finding for _, finding in ahead))
        if not found.keys:
            return None
        named = [(view.case.findings[key], stage_of[key]) for key in found.keys]
        what = _join([_lower_first(finding.label) for finding, _ in named])
        stages = _join(list(dict.fromkeys(stage.title for _, stage in named)))
        verb = "come" if len(named) > 1 else "comes"
        return Reply("later", f"Not yet: the {what} {verb} in the {stages} stage. Move on when you are ready.")

    def _not_placed(self, view: CaseView, nearest: str | None, request: str) -> Reply:
        if nearest is not None:
            label = view.case.findings[nearest].label
            return Reply("clarify", f"Could you be more specific? Do you mean the {_lower_first(label)}?")
        stage = view.stage
        if stage.unlisted == "normal" and names_a_test(request):
            # "Nothing abnormal" is an examination's answer; a test was not done, so it is not normal either.
            ahead = list(dict.fromkeys(later.title for later, _ in machine.upcoming(view.case, view.state)))
            where = f" Tests are requested in the {ahead[0]} stage." if ahead else ""
            return Reply("unlisted", f"That is not part of the {stage.title.lower()}.{where}")
        if stage.unlisted_text:
            return Reply("unlisted", stage.unlisted_text)
        if stage.unlisted == "normal":
            return Reply("unlisted", "Nothing abnormal is found on that.")
        return Reply("unlisted", "That is not available in this case.")


def _lower_first(label: str) -> str:
    return label[0].lower() + label[1:] if label[1:2].islower() else label


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]



def _reveal_reply(case: Case, keys: tuple[str, ...], fresh: tuple[Finding, ...]) -> Reply:
    findings = case.findings
    asked = [findings[key] for key in dict.fromkeys(keys)]
    text = "\n\n".join(f"**{f.label}:** {f.text}" for f in asked)
    if not fresh:
        return Reply("repeated", "You already have this.\n\n" + text, tuple(asked))
    return Reply("revealed", text, tuple(asked))


def _request_schema(keys: tuple[str, ...]) -> type[BaseModel]:
    """A JSON schema whose only possible keys are this case's items (the server turns it into a grammar)."""
    key_type = Literal.__getitem__(keys)  # type: ignore[valid-type]
    return create_model(
        "CaseRequest",
        keys=(list[key_type], Field(max_length=6)),
        words=(str, Field(max_length=200)),
    )


def _dump(state: CaseState) -> dict[str, Any]:
    return state.model_dump(mode="json")

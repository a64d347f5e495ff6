"""FastAPI dependencies: routes receive ready-built services and never construct clients themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from app.content import QuestionBank
from app.errors import NotReady
from app.grading import EmbeddedGrader, Grader
from app.interview import InterviewService
from app.runtime import Runtime
from rag import Answerer, GuideIndex

TOKEN_HEADER = "X-Candidate-Token"
TOKEN_COOKIE = "casewise_token"


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _not_ready(rt: Runtime) -> NotReady:
    return NotReady(f"the guide index failed to load: {rt.error}" if rt.error
                    else "the guide index is still loading; retry in a few seconds")


def get_index(rt: RuntimeDep) -> GuideIndex:
    if rt.index is None:
        raise _not_ready(rt)
    return rt.index


def get_answerer(rt: RuntimeDep) -> Answerer:
    if rt.answerer is None:
        raise _not_ready(rt)
    return rt.answerer


def get_bank(rt: RuntimeDep) -> QuestionBank:
    return rt.bank


IndexDep = Annotated[GuideIndex, Depends(get_index)]
AnswererDep = Annotated[Answerer, Depends(get_answerer)]
BankDep = Annotated[QuestionBank, Depends(get_bank)]


def get_interviews(rt: RuntimeDep) -> InterviewService:
    if rt.interviews is None:
        raise _not_ready(rt)
    return rt.interviews


def get_grader(rt: RuntimeDep) -> Grader:
    """The configured grader: the LLM judge or the ensemble when JUDGE_MODEL/LLM_MODEL is set, else embedded."""
    grader = rt.configured_grader
    if grader is None:
        raise _not_ready(rt)
    return grader


def get_embedded_grader(rt: RuntimeDep) -> EmbeddedGrader:
    """The embedded grader whatever the configuration: disputes are re-read by it, as in interviews."""
    if rt.grader is None:
        raise _not_ready(rt)
    return rt.grader


InterviewsDep = Annotated[InterviewService, Depends(get_interviews)]
GraderDep = Annotated[Grader, Depends(get_grader)]
EmbeddedDep = Annotated[EmbeddedGrader, Depends(get_embedded_grader)]


def _token(request: Request) -> str | None:
    return request.headers.get(TOKEN_HEADER) or request.cookies.get(TOKEN_COOKIE)


def get_candidate(request: Request, interviews: InterviewsDep) -> str | None:
    """The caller's candidate id, or None. Reading never creates a candidate (no row per stray GET)."""
    return interviews.find_candidate(_token(request))


def get_or_issue_candidate(request: Request, response: Response, interviews: InterviewsDep) -> str:
    """For the calls that create something: an unknown caller gets a new candidate and an unguessable token,
    as a header and an HttpOnly cookie (Secure behind TLS, or always with COOKIE_SECURE)."""
    candidate_id, issued = interviews.candidate(_token(request))
    if issued:
        secure = request.app.state.runtime.settings.cookie_secure or request.url.scheme == "https"
        response.headers[TOKEN_HEADER] = issued
        response.set_cookie(TOKEN_COOKIE, issued, httponly=True, samesite="strict", max_age=365 * 24 * 3600,
                            secure=secure)
    return candidate_id


CandidateDep = Annotated[str | None, Depends(get_candidate)]
NewCandidateDep = Annotated[str, Depends(get_or_issue_candidate)]

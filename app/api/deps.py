"""FastAPI dependencies: routes receive ready-built services and never construct clients themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.content import QuestionBank
from app.errors import NotReady
from app.runtime import Runtime
from rag import Answerer, GuideIndex


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

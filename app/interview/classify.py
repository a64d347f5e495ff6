"""Deciding what a candidate's message is by its content: a clarifying question, an answer, or a skip.

A clarifying question is short and asks something ("How many users are there?", "Can I assume B2B?"). An
answer makes claims, even if it contains a rhetorical question. Only content decides, never the state the
interview is in, so an answer is never swallowed as a question and a question is never graded as an answer.
"""

from __future__ import annotations

import re
from enum import Enum

from app.grading.text import segments

_ASKS = re.compile(
    r"^(what|who|whom|which|when|where|why|how|is|are|am|was|were|do|does|did|can|could|should|would|will|may|"
    r"might|shall|have|has|any)\b", re.I)
_REQUEST = re.compile(
    r"\b(can|may|should|could) (i|we) assume\b|\bare we (assuming|talking|targeting)\b|\bdo we (know|have)\b|"
    r"\b(i'?d|i would) like to (know|understand|clarify|ask)\b|\btell me (more )?about\b|\bbefore i (answer|start)\b|"
    r"\bquick question\b|\bclarif(y|ying|ication)\b|\bi want to (know|understand|confirm)\b", re.I)
_SKIP = re.compile(r"^\s*(skip|pass|next|next question|no more|i'?m done|done|move on|no idea, skip)[.! ]*$", re.I)


class MessageKind(str, Enum):
    clarifying = "clarifying"
    answer = "answer"
    skip = "skip"


def classify(text: str) -> MessageKind:
    if _SKIP.match(text):
        return MessageKind.skip
    spans = segments(text.strip())
    if not spans:
        return MessageKind.answer
    asking = [s for s in spans if s.text.rstrip().endswith("?") or (_ASKS.match(s.text) and s.words <= 20)
              or _REQUEST.search(s.text)]
    stating = [s for s in spans if s not in asking]
    stated_words = sum(s.words for s in stating)
    total = sum(s.words for s in spans)
    if asking and stated_words < 25 and total <= 80:
        return MessageKind.clarifying
    return MessageKind.answer

"""Turning rubric text into feedback a candidate can act on.

Level anchors describe what an answer at that level does ("Contrasts the fraud loss with ..."). Shown as a goal
they should read as advice ("Contrast the fraud loss with ..."), so the third-person verb that opens an anchor is
turned into the imperative.
"""

from __future__ import annotations

import re

_IRREGULAR = {"does": "do", "has": "have", "is": "be", "goes": "go", "says": "say"}
_FIRST = re.compile(r"^(\s*)([A-Za-z]+)(.*)$", re.S)
# After a plural noun, terse anchors go on with a list or a participle: "Gaps, variety and ownership covered",
# "Risks named with owners". A verb goes on with its object: "Names the risks", "Feeds reported cases into ...".
_NOUN_LIST = re.compile(r"^\s*[,;]")
_PARTICIPLE = re.compile(r"^\s+[a-z]+ed\b")
SHORT_ANCHOR = 7  # words: a participle after the first word reads as a noun phrase only in an anchor this short
# ... or a plural noun is the subject of a verb in its plain form: "Moments drive design choices", "Tests cover
# each slice". The verbs anchors use that way; a word after a leading verb is its object, never one of these.
_PLURAL_VERBS = re.compile(r"^\s+(are|were|have|drive|shape|cover|match|include|need|stay|remain|come|go|work|"
                           r"feed|tie|map|link|reflect|exist|appear|get|show|support|inform|guide|follow|lead)\b")


def imperative(verb: str) -> str | None:
    """'Explains' -> 'Explain', 'Identifies' -> 'Identify'; None when the word is not a third-person verb."""
    w = verb.lower()
    if w in _IRREGULAR:
        out = _IRREGULAR[w]
    elif w.endswith("ies") and len(w) > 4:
        out = w[:-3] + "y"
    elif w.endswith(("sses", "shes", "ches", "xes", "zes")):
        out = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        out = w[:-1]
    else:
        return None
    return out.capitalize() if verb[:1].isupper() else out


def _noun_phrase(rest: str) -> bool:
    return bool(_NOUN_LIST.match(rest) or _PLURAL_VERBS.match(rest)
                or (_PARTICIPLE.match(rest) and len(rest.split()) < SHORT_ANCHOR))


def advice(anchor: str) -> str:
    """A level anchor phrased as what to do."""
    text = anchor.strip()
    m = _FIRST.match(text)
    if m and not _noun_phrase(m.group(3)):
        verb = imperative(m.group(2))
        if verb:
            return f"{m.group(1)}{verb}{m.group(3)}"
    return f"Aim for this: {text[:1].lower()}{text[1:]}" if text else text

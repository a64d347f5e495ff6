"""The guide's glossary: each key term, and the section, anchor and sentence that define it.

Only the list of terms is written by hand (rag/data/glossary.yaml); where a term is defined is found in the guide
text, so the glossary follows edits to the guide. The glossary is used three ways: a definition question ("What
is a golden set?") is answered from the defining sentence and is never declined; a question's coverage by
glossary terms is one of the decline signals; and the reader highlights glossary terms in answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from rag.chunking import Chunk
from rag.errors import GuideFormatError
from rag.lexical import tokenize
from rag.text import Sentence, split

TERMS_FILE = Path(__file__).parent / "data" / "glossary.yaml"

# Question frames that ask what something is; the rest of the question must be (almost) only the term.
_FRAME = re.compile(r"^\s*(?:(?:so|and|ok|okay),?\s+)?(?:what(?:'s|\u2019s| is| are| does| do)|define|definition of|"
                    r"meaning of|explain|describe|tell me (?:about|what))\b", re.I)
_COMPARISON = re.compile(r"\b(?:differen\w*|versus|vs\.?|compare\w*|better|instead)\b", re.I)
# Words that may surround a term in a definition question without changing what is asked.
_FILLER = frozenset(tokenize("mean means meaning define definition explain term concept simple simply words ai ml "
                             "llm llms model models product products feature features machine learning pm pms "
                             "context used actually exactly"))
_MAX_EXTRA = 1  # other content words allowed in a definition question besides the term and fillers


@dataclass(frozen=True)
class Term:
    term: str
    aliases: tuple[str, ...]
    section_id: str
    section_title: str
    anchor: str
    chunk_id: str
    sentence: str  # the defining sentence, verbatim guide text
    how: str  # "pattern" (a definitional phrase), "heading" (the term heads a subsection) or "mention"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)


def _name_re(name: str) -> str:
    return r"(?<![\w-])" + re.escape(name) + r"(?:s|es)?(?![\w-])"


def _strength(name: str, s: Sentence) -> float:
    """How clearly a sentence defines `name`: 3 a definitional phrase, 2 the term opens the sentence, 1 the term
    heads the subsection the sentence opens, 0 a mention, -1 neither."""
    n = _name_re(name)
    text = s.text
    heads = s.opens and bool(re.search(n, s.heading, re.I))
    if not re.search(n, text, re.I):
        return 1.0 if heads else -1.0
    head = r"(?:^|[;:]\s+)(?:an?\s+|the\s+)?" + n + r"(?:\s*\([^)]*\))?"
    if (re.search(head + r",?\s+(?:which\s+)?(?:(?:is|are|means|exists)\b|answers:)", text, re.I)
            or re.search(r"(?:^|[;:]\s+|\b(?:use|build)\s+(?:an?\s+)?)" + n + r"(?:\s*\([^)]*\))?:\s", text, re.I)
            or re.search(r"\(" + re.escape(name) + r"\)", text, re.I)
            or re.search(r"\bcalled\s+" + n, text, re.I)
            or re.search(n + r",\s+which\s+(?:is|are)\b", text, re.I)):
        return 3.0
    if re.search(head + r"\s+\w+", text, re.I):
        return 2.0
    return 1.0 if heads else 0.0


_TITLE_BONUS = 1.5  # a sentence in the section named after the term beats a passing definition elsewhere
_HOW = {3.0: "pattern", 2.0: "pattern", 1.0: "heading", 0.0: "mention"}


class Glossary:
    """Terms with where the guide defines them; lookups by mention and by definition question."""

    def __init__(self, terms: list[Term]) -> None:
        self.terms = terms
        pairs = sorted(((name.lower(), t) for t in terms for name in t.names), key=lambda p: -len(p[0]))
        self._names = pairs
        self._patterns = [(re.compile(_name_re(name), re.I), t) for name, t in pairs]

    def __len__(self) -> int:
        return len(self.terms)

    @classmethod
    def from_chunks(cls, chunks: list[Chunk], terms_file: Path = TERMS_FILE) -> Glossary:
        """Find each listed term's defining sentence; a listed term the guide never uses is an error."""
        spec = yaml.safe_load(terms_file.read_text(encoding="utf-8")) or []
        split_chunks = [(c, split(c)) for c in chunks]
        out: list[Term] = []
        for entry in spec:
            term = str(entry["term"]).lower()
            aliases = tuple(str(a).lower() for a in entry.get("aliases", []))
            best: tuple[float, float, Chunk, list[Sentence], Sentence] | None = None
            for chunk, sents in split_chunks:
                if entry.get("section") and chunk.section_id != entry["section"]:
                    continue
                for s in sents:
                    base = max(_strength(name, s) for name in (term, *aliases))
                    if base < 0:
                        continue
                    titled = any(re.search(_name_re(name), chunk.section_title, re.I) for name in (term, *aliases))
                    score = base + (_TITLE_BONUS if titled else 0.0)
                    if best is None or score > best[0]:
                        best = (score, base, chunk, sents, s)
            if best is None:
                raise GuideFormatError(f"glossary term {term!r} does not occur in the guide")
            _, base, chunk, sents, s = best
            if re.match(r"this is (?:often |also )?called\b", s.text, re.I) and s.pos > 0:
                s = sents[s.pos - 1]  # "This is called X" names what the sentence before it describes
            how = _HOW[base]
            out.append(Term(term, aliases, chunk.section_id, chunk.section_title, chunk.anchor, chunk.id, s.text,
                            how))
        return cls(out)

    def mentioned(self, text: str) -> list[Term]:
        """Glossary terms that occur in `text`, longest names first, each once."""
        seen: dict[str, Term] = {}
        for pat, t in self._patterns:
            if t.term not in seen and pat.search(text):
                seen[t.term] = t
        return list(seen.values())

    def spans(self, text: str) -> list[tuple[int, int, Term]]:
        """Non-overlapping (start, end, term) matches in `text`, for highlighting."""
        taken: list[tuple[int, int, Term]] = []
        for pat, t in self._patterns:
            for m in pat.finditer(text):
                if all(m.end() <= a or m.start() >= b for a, b, _ in taken):
                    taken.append((m.start(), m.end(), t))
        return sorted(taken, key=lambda x: x[0])

    def defined_subject(self, question: str) -> Term | None:
        """The term a definition question asks about ("What is a golden set?"), or None for other questions."""
        if not _FRAME.search(question) or _COMPARISON.search(question):
            return None
        for pat, t in self._patterns:
            m = pat.search(question)
            if not m:
                continue
            rest = question[:m.start()] + " " + question[m.end():]
            rest = _FRAME.sub(" ", rest)
            extra = [w for w in tokenize(rest) if w not in _FILLER]
            if len(extra) <= _MAX_EXTRA:
                return t
            return None
        return None

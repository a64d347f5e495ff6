"""Study-link agreement: does a rubric written inline get linked to the guide section a person would pick?

Each bank criterion names the guide sections its author chose for it. Passed inline, as POST /api/grade receives
a rubric (no guide sections, cues or probes), the criterion gets the link a rubric written by someone else would
get; it agrees when that link is one of the author's sections. Reported per split (the calib split may be tuned
on, the test split is for measuring): `python -m evals study`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from app.content import Question
from app.grading.rubric import from_question
from app.grading.study import StudyFinder
from evals.inline import inline_rubric
from evals.items import split_of


@dataclass
class StudyAgreement:
    split: str
    n: int = 0
    agreed: int = 0
    misses: list[str] = field(default_factory=list)  # "question/criterion: got X, chosen Y"

    @property
    def rate(self) -> float:
        return self.agreed / self.n if self.n else 0.0


def study_agreement(finder: StudyFinder, questions: Iterable[Question]) -> dict[str, StudyAgreement]:
    """Per split, how many bank criteria with chosen sections get one of them as their inline study link."""
    out: dict[str, StudyAgreement] = {}
    for q in questions:
        cued = from_question(q)
        split = split_of(q.id)
        acc = out.setdefault(split, StudyAgreement(split))
        for c, inline in zip(cued.criteria, inline_rubric(cued).criteria):
            if not c.guide_sections:
                continue
            links = finder.for_criterion(inline)
            got = links[0].section_id if links else None
            acc.n += 1
            if got in c.guide_sections:
                acc.agreed += 1
            else:
                acc.misses.append(f"{q.id}/{c.id}: got {got}, chosen {', '.join(c.guide_sections)}")
    return dict(sorted(out.items()))


def format_agreement(results: dict[str, StudyAgreement]) -> str:
    rows = ["| split | criteria | link is an author's section |", "|---|---|---|"]
    rows += [f"| {r.split} | {r.n} | {r.rate:.3f} ({r.agreed} of {r.n}) |" for r in results.values()]
    return "\n".join(rows)

"""Do on-topic platitudes earn anything? A gaming probe of the grade and of disputes.

    python -m evals.platitude_probe [--questions N] [--disputes] [--platitudes FILE]

Each non-strong exemplar of the bank gets one platitude appended as its own paragraph
(evals/datasets/padding/probe_platitudes.txt) and is graded again: a fair grader raises no score and no level, since
the sentence says nothing the rubric asks for. Set B (probe_platitudes_b.txt, `--platitudes`) was written before the
padding head was refitted on on-topic padding, so it measures that refit on sentences it never saw. With
--disputes, every criterion below the top is also disputed by quoting the platitude (app.grading.dispute.recheck),
and none should be upheld. The exemplars are the bank's own answers and the platitudes were written for the probe;
no held-out label is read.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from app.content import load_bank
from app.grading import EmbeddedGrader, GradingRubric, from_question
from app.grading.dispute import recheck
from app.settings import ROOT, get_settings
from evals.train_generic import padding
from rag.embedder import SentenceTransformerEmbedder

PLATITUDES = ROOT / "evals" / "datasets" / "padding" / "probe_platitudes.txt"
SET_B = PLATITUDES.with_name("probe_platitudes_b.txt")  # written before the padding head saw on-topic padding
RISE = 0.05  # points: a score change below this is rounding, not a rise


def platitudes(path: Path = PLATITUDES) -> list[str]:
    return padding(path)  # the same one-sentence-a-line format as the padding head's training files


@dataclass
class Findings:
    graded: int = 0  # answers with a platitude appended that were graded (not abstained)
    scores_raised: int = 0
    largest_rise: float = 0.0
    levels_raised: int = 0  # criteria whose level rose
    disputes: int = 0
    upheld: list[str] = field(default_factory=list)  # "question/exemplar criterion old->new: platitude"


def _cases(questions: int | None, quiet: bool) -> Iterator[tuple[str, GradingRubric, str]]:
    """(label, rubric, non-strong exemplar) over the bank's first `questions` questions."""
    for q in tqdm(list(load_bank([get_settings().questions_dir]))[:questions], desc="questions", disable=quiet):
        rubric = from_question(q)
        for e in q.exemplars:
            if e.quality.value != "strong":
                yield f"{q.id}/{e.id}", rubric, e.text


def probe(grader: EmbeddedGrader, questions: int | None = None, disputes: bool = False,
          quiet: bool = False, path: Path = PLATITUDES) -> Findings:
    talks = platitudes(path)
    out = Findings()
    for label, rubric, text in _cases(questions, quiet):
        base = grader.grade(rubric, text)
        for talk in talks:
            answer = f"{text}\n\n{talk}"
            card = grader.grade(rubric, answer)
            if card.abstained or base.abstained or card.overall is None or base.overall is None:
                continue
            out.graded += 1
            rise = card.overall.score - base.overall.score
            out.scores_raised += rise > RISE
            out.largest_rise = max(out.largest_rise, rise)
            out.levels_raised += sum(a.level > b.level for a, b in zip(card.criteria, base.criteria))
            for c in card.criteria if disputes else []:
                if c.level >= 3:
                    continue
                out.disputes += 1
                d = recheck(grader, rubric, answer, c.id, c.level, f'I wrote "{talk}"')
                if d.decision == "upheld":
                    out.upheld.append(f"{label} {c.id} {c.level}->{d.new_level}: {talk}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.platitude_probe", description=__doc__.split("\n\n")[0])
    ap.add_argument("--questions", type=int, default=None, help="only the bank's first N questions")
    ap.add_argument("--disputes", action="store_true", help="also dispute every criterion below the top")
    ap.add_argument("--platitudes", type=Path, default=PLATITUDES, metavar="FILE",
                    help=f"one platitude per line (default {PLATITUDES.relative_to(ROOT)}; set B: {SET_B.name})")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    f = probe(EmbeddedGrader(SentenceTransformerEmbedder()), args.questions, args.disputes, args.quiet,
              args.platitudes)
    lines = [f"answers graded with a platitude appended: {f.graded}",
             f"scores raised: {f.scores_raised} (largest +{f.largest_rise:.1f} points); criterion levels raised: "
             f"{f.levels_raised}"]
    if args.disputes:
        lines.append(f"platitude disputes upheld: {len(f.upheld)} of {f.disputes}")
        lines += [f"  {u}" for u in f.upheld]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

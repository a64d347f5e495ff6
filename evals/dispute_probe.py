"""Do disputes that quote a platitude raise a level? A gaming probe of `app.grading.dispute.recheck`.

    python -m evals.dispute_probe [--questions N]

Each non-strong exemplar of the bank gets one platitude appended (evals/datasets/padding/dispute_platitudes.txt),
is graded, and every criterion below the top is disputed by quoting that platitude. A fair grader upholds none:
the sentence says nothing a higher level asks for. Prints how many were upheld, and which. The exemplars are the
bank's own answers and the platitudes were written for the probe; no held-out label is read.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from tqdm import tqdm

from app.content import load_bank
from app.grading import EmbeddedGrader, from_question
from app.grading.dispute import recheck
from app.settings import ROOT, get_settings
from rag.embedder import SentenceTransformerEmbedder

PLATITUDES = ROOT / "evals" / "datasets" / "padding" / "dispute_platitudes.txt"


def platitudes(path: Path = PLATITUDES) -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]


def probe(grader: EmbeddedGrader, questions: int | None = None, quiet: bool = False) -> tuple[int, list[str]]:
    """(disputes made, descriptions of those upheld)."""
    bank = list(load_bank([get_settings().questions_dir]))[:questions]
    made, upheld = 0, []
    for q in tqdm(bank, desc="questions", disable=quiet):
        rubric = from_question(q)
        for e in (e for e in q.exemplars if e.quality.value != "strong"):
            for talk in platitudes():
                answer = f"{e.text}\n\n{talk}"
                card = grader.grade(rubric, answer)
                for c in ([] if card.abstained else card.criteria):
                    if c.level >= 3:
                        continue
                    made += 1
                    d = recheck(grader, rubric, answer, c.id, c.level, f'I wrote "{talk}"')
                    if d.decision == "upheld":
                        upheld.append(f"{q.id}/{e.id} {c.id} {c.level}->{d.new_level}: {talk}")
    return made, upheld


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.dispute_probe", description=__doc__.split("\n\n")[0])
    ap.add_argument("--questions", type=int, default=None, help="only the bank's first N questions")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    made, upheld = probe(EmbeddedGrader(SentenceTransformerEmbedder()), args.questions, args.quiet)
    sys.stdout.write(f"platitude disputes upheld: {len(upheld)} of {made}\n" + "".join(f"  {u}\n" for u in upheld))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

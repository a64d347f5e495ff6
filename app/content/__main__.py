"""`python -m app.content validate [DIR ...]`: check question packs and print counts, or one line per problem."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from app.content.errors import ContentError
from app.content.loader import load_bank
from app.settings import get_settings
from rag.errors import RagError
from rag.guide import load_guide


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    ap = argparse.ArgumentParser(prog="python -m app.content", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("validate", help="validate question packs")
    v.add_argument("dirs", nargs="*", type=Path, help="pack files or directories (default: built-in packs)")
    v.add_argument("--guide", type=Path, default=settings.guide_dir, help="guide directory for section ids")
    args = ap.parse_args(argv)
    dirs = args.dirs or [settings.questions_dir]
    try:
        guide_ids = {s.id for s in load_guide(args.guide)}
        bank = load_bank(dirs, guide_ids=guide_ids)
    except (ContentError, RagError) as exc:
        for line in getattr(exc, "problems", [str(exc)]):
            sys.stderr.write(f"error: {line}\n")
        return 1
    qs = list(bank)
    n_ex = sum(len(q.exemplars) for q in qs)
    by_type = Counter(q.type.value for q in qs)
    by_level = Counter(q.level.value for q in qs)
    sys.stdout.write(f"ok: {len(qs)} questions, {n_ex} exemplars in {len(set(bank.sources.values()))} files\n")
    sys.stdout.write("types: " + ", ".join(f"{k}={v}" for k, v in sorted(by_type.items())) + "\n")
    sys.stdout.write("levels: " + ", ".join(f"{k}={v}" for k, v in sorted(by_level.items())) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

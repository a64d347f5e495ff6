"""Exporting an interview as Markdown or JSON: the transcript plus the scorecard."""

from __future__ import annotations

import json
from typing import Any

ROLE = {"interviewer": "Interviewer", "candidate": "You"}


def to_json(view: dict[str, Any]) -> str:
    return json.dumps(view, indent=2, ensure_ascii=False, default=str)


def to_markdown(view: dict[str, Any]) -> str:
    q = view["question"]
    lines = [f"# {q['title']}", "", f"*{q['type'].replace('_', ' ')} · {q['level']} · "
             f"{q['suggested_minutes']} minutes · {view['state']}*", "", "## Transcript", ""]
    for m in view["messages"]:
        label = ROLE.get(m["role"], m["role"])
        body = m["text"].replace("\n", "\n> ")
        lines += [f"**{label}** ({m['kind'].replace('_', ' ')}):", "", f"> {body}", ""]
    card = view.get("scorecard")
    if card:
        lines += ["## Scorecard", ""]
        if card.get("abstained"):
            lines += [f"Not graded: {card.get('message') or card.get('reason')}", ""]
        else:
            lines += [f"**{card['overall']['band'].replace('_', ' ')}**, score {card['overall']['score']:.0f}/100", ""]
            lines += ["| criterion | level | evidence | missing | study |", "|---|---|---|---|---|"]
            for c in card["criteria"]:
                ev = "; ".join(f"\u201c{e}\u201d" for e in c["evidence"]) or "—"
                study = ", ".join(s["title"] for s in c.get("study", [])) or "—"
                cells = [c["name"], f"{c['level']}/3", ev, "; ".join(c["missing"]) or "—", study]
                lines.append("| " + " | ".join(x.replace("|", "\\|").replace("\n", " ") for x in cells) + " |")
            lines.append("")
            s = card.get("summary") or {}
            if s.get("strengths"):
                lines += ["Strengths: " + ", ".join(s["strengths"]), ""]
            if s.get("improvement"):
                lines += [f"Most valuable improvement: {s['improvement']}", ""]
        for f in card.get("flags", []):
            lines.append(f"- {f}")
    for d in view.get("disputes", []):
        lines += ["", f"Dispute on {d['criterion_id']}: {d['decision']} ({d['old_level']} → {d['new_level']}). "
                      f"{d['explanation']}"]
    return "\n".join(lines).rstrip() + "\n"

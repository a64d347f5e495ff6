"""Reading a Server-Sent Events body in tests: the (event, data) pairs of `/api/guide/ask/stream`."""

from __future__ import annotations

import json
from typing import Any


def sse_events(body: str) -> list[tuple[str, Any]]:
    """Each event's name and its JSON data, in order; comment lines (keep-alives) are skipped."""
    out: list[tuple[str, Any]] = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if data:
            out.append((name, json.loads("\n".join(data))))
    return out

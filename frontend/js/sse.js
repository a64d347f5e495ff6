// Server-Sent Events read from a fetch() body (ReadableStream): EventSource cannot POST a JSON body. Each event's
// data is parsed as JSON; nothing here touches the DOM.

/** Split a buffer into complete events ("\n\n"-separated blocks) and the unfinished rest. */
export function splitEvents(buffer) {
  const text = buffer.replace(/\r\n?/g, "\n");
  const cut = text.lastIndexOf("\n\n");
  if (cut < 0) return { events: [], rest: text };
  const events = [];
  for (const block of text.slice(0, cut).split("\n\n")) {
    let event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
    }
    if (data.length) events.push({ event, data: JSON.parse(data.join("\n")) });
  }
  return { events, rest: text.slice(cut + 2) };
}

/**
 * Calls `onEvent({event, data})` for each event of a response body, in order, until `onEvent` returns true (the
 * caller has what it came for) or the body ends. Resolves true when `onEvent` stopped it, false when the body
 * ended first. Rejects when the body breaks or carries data that is not JSON.
 */
export async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      const { events, rest } = splitEvents(buffer + value);
      buffer = rest;
      for (const e of events) if (onEvent(e)) return true;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

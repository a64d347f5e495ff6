// The interviewer's messages over server-sent events: `delta` chunks, then `message`, then `done`.
import { prefersReducedMotion } from "./dom.js";

const PACE_MS = 18; // chunks arrive at once from the embedded interviewer; a light pace reads as typing
const TIMEOUT_MS = 20000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Streams interviewer turns after turn `after`. Resolves {ok, lastId}; ok is false when the stream failed
 * before `done`, so the caller can fall back to the messages the POST returned.
 */
export function streamTurns(url, { onDelta, onMessage }) {
  return new Promise((resolve) => {
    const source = new EventSource(url);
    const queue = [];
    let draining = false;
    let finished = false;
    const pace = prefersReducedMotion() ? 0 : PACE_MS;

    const finish = (result) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      source.close();
      queue.push(() => resolve(result));
      drain();
    };
    const timer = setTimeout(() => finish({ ok: false, lastId: null }), TIMEOUT_MS);

    async function drain() {
      if (draining) return;
      draining = true;
      while (queue.length) {
        const job = queue.shift();
        if (job() === "delta" && pace) await sleep(pace);
      }
      draining = false;
    }

    const parse = (event) => {
      try {
        return JSON.parse(event.data);
      } catch {
        return null;
      }
    };
    source.addEventListener("delta", (event) => {
      const data = parse(event);
      if (!data) return;
      queue.push(() => {
        onDelta(data);
        return "delta";
      });
      drain();
    });
    source.addEventListener("message", (event) => {
      const data = parse(event);
      if (!data) return;
      queue.push(() => onMessage(data));
      drain();
    });
    source.addEventListener("done", (event) => finish({ ok: true, lastId: parse(event)?.last_id ?? null }));
    source.addEventListener("error", () => finish({ ok: false, lastId: null }));
  });
}

// The API client. Errors become ApiError; network failures, 5xx, 408 and 429 (rate limits) are retryable,
// other 4xx are not.
import { readEvents } from "./sse.js";

export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }

  get retryable() {
    return this.status === 0 || this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

/** A fresh Idempotency-Key: a retried message is then stored once, and the retry gets the stored reply. */
export function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// X-Requested-With marks every call as the app's own: the server refuses state changes that carry neither it
// nor a JSON body, which is all a cross-site form could send.
export async function request(path, { method = "GET", body, headers = {} } = {}) {
  const init = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-Requested-With": "casewise", ...headers },
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError("Couldn't reach casewise. Check your connection and try again.", 0, "network");
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) throw refusal(res, data);
  return data;
}

function refusal(res, data) {
  const fallback = res.status >= 500 ? `The server had a problem (${res.status}). Try again in a moment.`
    : `The request was refused (${res.status}).`;
  return new ApiError(data?.error?.message || fallback, res.status, data?.error?.code || "http_error");
}

const STREAM_CUT = "The answer stopped arriving before it was complete. Try again.";

/**
 * Asks the guide with the answer streamed (Server-Sent Events over fetch). `onDelta(text)` receives the model's
 * words as it writes them (unchecked: show them as text only); resolves with the `done` event's body, the checked
 * answer that replaces them. Refusals throw ApiError as `request` does; a stream that breaks or ends without
 * `done`, or a browser that cannot read one, throws ApiError with code "stream".
 */
export async function askStream(question, onDelta) {
  let res;
  try {
    res = await fetch("/api/guide/ask/stream", {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "text/event-stream", "Content-Type": "application/json", "X-Requested-With": "casewise" },
      body: JSON.stringify({ question }),
    });
  } catch {
    throw new ApiError("Couldn't reach casewise. Check your connection and try again.", 0, "network");
  }
  if (!res.ok) {
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    throw refusal(res, data);
  }
  if (!res.body || typeof TextDecoderStream === "undefined") throw new ApiError(STREAM_CUT, 0, "stream");
  let final = null;
  try {
    await readEvents(res.body, ({ event, data }) => {
      if (event === "delta" && typeof data?.text === "string") onDelta(data.text);
      if (event === "done") final = data;
      return final !== null;
    });
  } catch {
    throw new ApiError(STREAM_CUT, 0, "stream");
  }
  if (final === null) throw new ApiError(STREAM_CUT, 0, "stream");
  return final;
}

const enc = encodeURIComponent;
let sectionsPromise = null;

export const api = {
  questions: () => request("/api/questions"),
  question: (id) => request(`/api/questions/${enc(id)}`),
  exemplar: (id) => request(`/api/interviews/${enc(id)}/exemplar`),
  start: (body) => request("/api/interviews", { method: "POST", body }),
  interviews: () => request("/api/interviews"),
  interview: (id) => request(`/api/interviews/${enc(id)}`),
  send: (id, text, key = newKey()) =>
    request(`/api/interviews/${enc(id)}/messages`, { method: "POST", body: { text }, headers: { "Idempotency-Key": key } }),
  grade: (id) => request(`/api/interviews/${enc(id)}/grade`, { method: "POST" }),
  /** Stateless grading against an inline rubric and/or model answer (nothing is stored). */
  gradeInline: (body) => request("/api/grade", { method: "POST", body }),
  /** Contest one criterion of a stateless grade; `body` repeats the grading request and carries `earlier` disputes. */
  gradeDispute: (body) => request("/api/grade/disputes", { method: "POST", body }),
  dispute: (id, criterionId, reason) =>
    request(`/api/interviews/${enc(id)}/disputes`, { method: "POST", body: { criterion_id: criterionId, reason } }),
  progress: () => request("/api/progress"),
  ask: (question) => request("/api/guide/ask", { method: "POST", body: { question } }),
  askStream,
  guideHistory: () => request("/api/guide/history"),
  glossary: () => request("/api/guide/glossary"),
  section: (id) => request(`/api/guide/sections/${enc(id)}`),
  /** The guide's section list, fetched once (and again after a failure). */
  sections() {
    sectionsPromise ||= request("/api/guide/sections").catch((err) => {
      sectionsPromise = null;
      throw err;
    });
    return sectionsPromise;
  },
  exportUrl: (id, format) => `/api/interviews/${enc(id)}/export?format=${enc(format)}`,
};

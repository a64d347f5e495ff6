// Shared UI pieces: loading indicators, inline errors with a Retry button, and a runner that ties them together.
import { el } from "./dom.js";

export function loading(text = "Loading…") {
  return el("div", { class: "loading", role: "status" }, el("span", { class: "spinner", "aria-hidden": "true" }), text);
}

/** An inline error. `retry` (optional) repeats the failed request. */
export function errorNotice(err, retry) {
  const box = el("div", { class: "notice notice-error", role: "alert" },
    el("p", { class: "notice-text" }, err?.message || String(err)));
  if (retry) {
    box.append(el("button", { type: "button", class: "btn small", on: { click: () => retry() } }, "Retry"));
  }
  return box;
}

/**
 * Runs `fn` with a loading indicator in `slot`; on success clears the slot and calls `onOk(result)`. On a
 * failure the slot shows the error, with a Retry button when the failure was the network or the server.
 * `onError(err)` runs after every failure (the Retry button, if any, stays usable).
 */
export function attempt(slot, fn, onOk, { loadingText = "Loading…", onError } = {}) {
  const run = async () => {
    slot.replaceChildren(loadingText ? loading(loadingText) : "");
    let result;
    try {
      result = await fn();
    } catch (err) {
      slot.replaceChildren(errorNotice(err, err?.retryable ? run : null));
      if (onError) onError(err);
      return undefined;
    }
    slot.replaceChildren();
    return onOk(result);
  };
  return run();
}

/** A pill such as a band badge. */
export function pill(text, cls = "") {
  return el("span", { class: ["pill", cls] }, text);
}

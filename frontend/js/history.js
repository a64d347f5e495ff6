// The History view: past sessions with their scorecards, and Markdown/JSON exports.
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { mountScorecard } from "./scorecard.js";
import { bandLabel, formatDate, humanize, levelLabel } from "./text.js";
import { attempt, pill } from "./ui.js";

function status(s) {
  if (s.state === "graded" && s.abstained) return pill("Not graded: see why", "band-none");
  if (s.state === "graded" && s.band) return pill(`${bandLabel(s.band)} · ${Math.round(s.score)}/100`, `band-${s.band}`);
  return pill("In progress", "band-none");
}

export function initHistory(root, app) {
  const body = $("#history-body", root);

  function item(s) {
    const slot = el("div", { class: "history-scorecard" });
    const actions = el("div", { class: "history-actions" });
    if (s.state === "graded") {
      const toggle = el("button", { type: "button", class: "btn small", "aria-expanded": "false" }, "Show scorecard");
      toggle.addEventListener("click", () => {
        const open = toggle.getAttribute("aria-expanded") === "true";
        toggle.setAttribute("aria-expanded", String(!open));
        toggle.textContent = open ? "Show scorecard" : "Hide scorecard";
        if (open) {
          slot.replaceChildren();
          return;
        }
        attempt(slot, () => api.interview(s.id), (view) => mountScorecard(slot, {
          interview: view, card: view.scorecard, disputes: view.disputes || [],
          onRetryQuestion: () => app.startInterview({ question_id: view.question.id }),
        }), { loadingText: "Loading the scorecard…" });
      });
      actions.append(toggle);
    } else {
      actions.append(el("button", { type: "button", class: "btn small primary", on: { click: () => app.resume(s.id) } },
        "Resume"));
    }
    actions.append(
      el("a", { class: "btn small ghost", href: api.exportUrl(s.id, "md"), download: `interview-${s.id}.md` }, "Download Markdown"),
      el("a", { class: "btn small ghost", href: api.exportUrl(s.id, "json"), download: `interview-${s.id}.json` }, "Download JSON"));
    return el("li", { class: "card history-item", dataset: { session: s.id } },
      el("div", { class: "history-head" },
        el("div", {}, el("h3", {}, s.title),
          el("p", { class: "muted small" }, el("time", { datetime: s.created_at }, formatDate(s.created_at)),
            ` · ${humanize(s.type)} · ${levelLabel(s.level)}`),
          s.excerpt ? el("p", { class: "history-excerpt small" }, `“${s.excerpt}”`)
            : el("p", { class: "muted small" }, "No answer yet.")),
        status(s)),
      actions, slot);
  }

  function render(list) {
    const sorted = [...list].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    body.replaceChildren(sorted.length ? el("ol", { class: "history-list" }, sorted.map(item))
      : el("p", { class: "empty-state" }, "No interviews yet. Start one from the Interview tab."));
  }

  function load() {
    return attempt(body, () => api.interviews(), render, { loadingText: "Loading your sessions…" });
  }

  return { show: load };
}

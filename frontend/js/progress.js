// The Progress view: mastery per competency over time, the weakest areas, and what to practise next.
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { masteryChart } from "./chart.js";
import { bandLabel, formatDate, humanize, levelLabel } from "./text.js";
import { attempt, pill } from "./ui.js";

function stat(value, label, id) {
  return el("div", { class: "stat" }, el("span", { class: "stat-value", id }, String(value)), el("span", { class: "stat-label" }, label));
}

function masteryText(m) {
  return m === null || m === undefined ? "not practised yet" : `${m.toFixed(1)} / 3`;
}

const WHY = { abstained: "nothing could be graded", flagged: "the grader flagged gaming (a keyword list, instructions to the grader, hidden text)" };

/** Graded sessions that do not count toward mastery, and why. */
function leftOut(list) {
  if (!list.length) return null;
  const reasons = [...new Set(list.map((x) => WHY[x.reason] || x.reason))];
  return el("p", { class: "left-out muted", id: "progress-left-out" },
    `${list.length} graded session${list.length === 1 ? " is" : "s are"} left out of your mastery: ${reasons.join("; ")}.`);
}

export function initProgress(root, app) {
  const body = $("#progress-body", root);

  function render([p, sessions]) {
    const titles = new Map(sessions.map((x) => [x.id, x.title]));
    const byComp = new Map(p.competencies.map((c) => [c.competency, c]));
    const next = p.next_question;
    const practised = p.competencies.filter((c) => c.history.length);

    const nextCard = next ? el("section", { class: "card next-card", "aria-labelledby": "next-title" },
      el("p", { class: "eyebrow" }, "Practise this next"),
      el("h3", { id: "next-title" }, next.title),
      el("p", { class: "muted" }, `${humanize(next.type)} · ${levelLabel(next.level)} · ${next.suggested_minutes} min`),
      p.weakest.length ? el("p", {}, "Chosen to work on your weakest area: ", el("strong", {}, humanize(p.weakest[0])), ".") : null,
      el("button", { type: "button", class: "btn primary", id: "practise-next",
        on: { click: () => app.startInterview({ question_id: next.id }) } }, "Practise this next")) : null;

    const weakest = el("section", { class: "card", "aria-labelledby": "weak-title" },
      el("h3", { id: "weak-title" }, "Weakest areas"),
      el("ol", { class: "weakest" }, p.weakest.map((c) => el("li", {},
        el("span", { class: "weak-name" }, humanize(c)),
        el("span", { class: "muted" }, masteryText(byComp.get(c)?.mastery))))));

    const charts = el("section", { class: "card", "aria-labelledby": "mastery-title" },
      el("h3", { id: "mastery-title" }, "Mastery by competency"),
      el("p", { class: "muted small" }, "A recency-weighted average of your criterion levels (0–3), after each graded session."),
      practised.length ? el("ul", { class: "charts" }, p.competencies.map((c) => el("li", { class: ["chart-card", !c.history.length && "empty"] },
        el("div", { class: "chart-head" }, el("span", { class: "chart-name" }, humanize(c.competency)),
          el("span", { class: "chart-value" }, masteryText(c.mastery))),
        c.history.length ? masteryChart(c.history, humanize(c.competency))
          : el("p", { class: "muted small chart-empty" }, "Not practised yet."))))
        : el("p", { class: "empty-state" }, "No graded sessions yet. Finish an interview and press “Grade me” to see your mastery here."));

    const history = el("section", { class: "card", "aria-labelledby": "graded-title" },
      el("h3", { id: "graded-title" }, "Graded sessions"),
      p.history.length ? el("ol", { class: "graded-list" }, [...p.history].reverse().map((h) => el("li", {},
        el("span", { class: "graded-title" }, titles.get(h.session_id) || humanize(h.question_id)),
        el("span", { class: "muted small" }, formatDate(h.completed_at)),
        pill(`${bandLabel(h.band)} · ${Math.round(h.score)}/100`, `band-${h.band}`))))
        : el("p", { class: "muted" }, "None yet."),
      leftOut(p.left_out || []));

    body.replaceChildren(
      el("div", { class: "stats" }, stat(p.sessions, "sessions started", "progress-sessions"),
        stat(p.history.length, "graded", "progress-graded"),
        stat(`${practised.length}/${p.competencies.length}`, "competencies practised", "progress-practised")),
      el("div", { class: "progress-grid" }, nextCard, weakest),
      charts,
      history);
  }

  function load() {
    return attempt(body, () => Promise.all([api.progress(), api.interviews()]), render,
      { loadingText: "Loading your progress…" });
  }

  return { show: load };
}

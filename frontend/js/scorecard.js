// The scorecard: band and score, per-criterion level bars, evidence highlighted inside the candidate's own
// answer, what was missing, study links that open in place, flags, abstentions, disputes and a strong-answer
// reveal. Every piece of text goes in as text. The same card shows an interview's grade (ctx.interview; the strong
// answer needs the session) and a stateless grade against the candidate's own rubric (ctx.title, ctx.answer and
// ctx.dispute, which contests a criterion without a session; with the notes on how the rubric was read).
import { api } from "./api.js";
import { el, focusQuietly } from "./dom.js";
import { sectionReader } from "./reader.js";
import { bandLabel, highlightText, humanize } from "./text.js";
import { attempt, errorNotice, loading } from "./ui.js";

const ANSWER_KINDS = new Set(["answer", "probe_answer"]);
let uid = 0;

/** The candidate's graded text, joined the way the grader joined it. */
export function answerText(messages) {
  return messages.filter((m) => m.role === "candidate" && ANSWER_KINDS.has(m.kind)).map((m) => m.text).join("\n\n");
}

/** The bar shows the grader's 0-3 level; the text uses the rubric's own scale when it was written on another one. */
export function levelBar(level, name, scale, scaleLevel) {
  const segs = [1, 2, 3].map((n) => el("span", { class: ["seg", n <= level && "on"] }));
  const own = Array.isArray(scale) && scaleLevel !== null && scaleLevel !== undefined;
  const label = own ? `level ${scaleLevel} on the rubric's ${scale[0]} to ${scale[1]} scale` : `level ${level} of 3`;
  return el("div", { class: "level" },
    el("div", { class: ["levelbar", `lv-${level}`], role: "img", "aria-label": `${name}: ${label}` }, segs),
    el("span", { class: "level-text", "aria-hidden": "true" },
      own ? `${scaleLevel} (${scale[0]}–${scale[1]})` : `${level}/3`));
}

function flagsList(flags) {
  if (!flags || !flags.length) return null;
  return el("div", { class: "flags", role: "note", "aria-label": "Flags" },
    el("h3", { class: "sub" }, "Flags"),
    el("ul", {}, flags.map((f) => el("li", { class: "flag" }, el("span", { class: "flag-icon", "aria-hidden": "true" }, "!"), f))));
}

function toggleReader(button, slot, sectionId, snippet, title) {
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", String(!open));
    if (open) {
      slot.replaceChildren();
      return;
    }
    slot.replaceChildren(sectionReader(sectionId, { snippet, title, headingLevel: 5, onClose: () => {
      button.setAttribute("aria-expanded", "false");
      slot.replaceChildren();
      button.focus();
    } }));
  });
}

function studyLinks(study) {
  if (!study || !study.length) return null;
  return el("div", { class: "crit-block" }, el("h5", {}, "Study"), study.map((s) => {
    const slot = el("div", { class: "reader-slot" });
    const btn = el("button", { type: "button", class: "btn ghost small study-btn", "aria-expanded": "false" },
      `Open “${s.title}”`);
    toggleReader(btn, slot, s.section_id, s.snippet, s.title);
    return el("div", { class: "study" }, btn, slot);
  }));
}

function disputeView(d) {
  const upheld = d.decision === "upheld";
  return el("div", { class: ["dispute-result", upheld ? "upheld" : "rejected"], tabindex: "-1",
    dataset: { disputeFor: d.criterion_id } },
  el("p", { class: "dispute-decision" }, upheld ? "Dispute upheld" : `Dispute ${humanize(d.decision).toLowerCase()}`,
    el("span", { class: "dispute-levels" }, ` · level ${d.old_level} → ${d.new_level}`)),
  el("p", {}, d.explanation),
  el("p", { class: "muted small" }, "Your reason: ", el("q", {}, d.reason)));
}

function contestForm(ctx, crit) {
  const id = `contest-${++uid}`;
  const textarea = el("textarea", { id, rows: "3", maxlength: "2000", required: true,
    placeholder: "Point to what you said that meets a higher level." });
  const status = el("div");
  const submit = el("button", { type: "submit", class: "btn small" }, "Send for re-check");
  const form = el("form", { class: "contest-form" },
    el("label", { for: id }, `Why should “${crit.name}” score higher?`), textarea,
    el("div", { class: "row" }, submit), status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = textarea.value.trim();
    if (!reason) {
      status.replaceChildren(errorNotice(new Error("Write a reason first.")));
      textarea.focus();
      return;
    }
    submit.disabled = true;
    attempt(status, () => ctx.dispute(crit.id, reason), (res) => {
      submit.disabled = false;
      ctx.onDispute(res, crit.id);
    }, { loadingText: "Re-checking this criterion…", onError: () => { submit.disabled = false; } });
  });
  return el("details", { class: "contest" }, el("summary", {}, "Contest this score"), form);
}

function criterionCard(ctx, crit, index) {
  const disputes = ctx.disputes.filter((d) => d.criterion_id === crit.id);
  const evidence = crit.evidence && crit.evidence.length
    ? el("ul", { class: "evidence" }, crit.evidence.map((q) => el("li", {}, el("q", {}, q))))
    : el("p", { class: "muted small" }, "No evidence for this criterion in your answer.");
  const missing = crit.missing && crit.missing.length
    ? el("div", { class: "crit-block" }, el("h5", {}, "What was missing"),
      el("ul", { class: "missing" }, crit.missing.map((m) => el("li", {}, m))))
    : null;
  return el("li", { class: "criterion", dataset: { criterion: crit.id } },
    el("div", { class: "crit-head" },
      el("div", {}, el("h4", {}, el("span", { class: "crit-num", "aria-hidden": "true" }, `${index + 1}`), crit.name),
        crit.competency ? el("p", { class: "competency" }, humanize(crit.competency)) : null),
      levelBar(crit.level, crit.name, crit.scale, crit.scale_level)),
    el("div", { class: "crit-block" }, el("h5", {}, "Evidence"), evidence),
    missing,
    studyLinks(crit.study),
    disputes.map(disputeView),
    ctx.dispute ? contestForm(ctx, crit) : null);
}

function answerBlock(text, criteria) {
  const quotes = criteria.flatMap((c, i) => (c.evidence || []).map((quote) => ({ quote, label: c.name, ref: i + 1 })));
  const { nodes, found } = highlightText(text, quotes, "evidence-mark");
  return el("div", { class: "answer-block" },
    el("h3", { class: "sub" }, "Your answer"),
    el("p", { class: "muted small" }, found
      ? "Highlighted: the sentences the grader counted as evidence; the small numbers are the criteria below."
      : "No sentence of your answer was counted as evidence."),
    el("div", { class: "answer-text" }, nodes));
}

function strongAnswer(ctx, card) {
  const id = `reveal-${++uid}`;
  const panel = el("div", { class: "reveal-panel", id, hidden: true });
  const button = el("button", { type: "button", class: "btn", "aria-expanded": "false", "aria-controls": id },
    "Reveal a strong answer");
  let loaded = false;
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", String(!open));
    button.textContent = open ? "Reveal a strong answer" : "Hide the strong answer";
    panel.hidden = open;
    if (!open && !loaded) {
      loaded = true;
      fillStrongAnswer(panel, ctx, card);
    }
  });
  return el("div", { class: "reveal" }, button, panel);
}

function fillStrongAnswer(panel, ctx, card) {
  const next = (card.criteria || []).map((c) => {
    const goal = (c.missing || []).find((m) => /^To reach level \d:/.test(m));
    return goal ? el("li", {}, el("strong", {}, `${c.name}. `), goal) : el("li", {}, el("strong", {}, `${c.name}. `),
      "You reached the top level here.");
  });
  const reading = el("div");
  const exemplar = el("div", { class: "exemplar" });
  panel.replaceChildren(
    el("h4", {}, "A strong answer to this question"),
    exemplar,
    el("h4", {}, "What moves each of your criteria up a level"),
    el("ul", { class: "next-steps" }, next),
    el("h4", {}, "Suggested reading for this question"),
    reading);
  attempt(exemplar, () => api.exemplar(ctx.interview.id), (ex) => {
    exemplar.replaceChildren(el("blockquote", { class: "exemplar-text" }, ex.text));
  }, { loadingText: "Loading the strong answer…" });
  attempt(reading, () => Promise.all([api.question(ctx.interview.question.id), api.sections()]), ([q, sections]) => {
    const titles = new Map(sections.map((s) => [s.id, s.title]));
    const ids = q.guide_sections || [];
    if (!ids.length) {
      reading.replaceChildren(el("p", { class: "muted" }, "This question lists no guide sections."));
      return;
    }
    reading.replaceChildren(el("ul", { class: "reading-list" }, ids.map((sid) => {
      const slot = el("div", { class: "reader-slot" });
      const btn = el("button", { type: "button", class: "btn ghost small", "aria-expanded": "false" },
        titles.get(sid) || humanize(sid));
      toggleReader(btn, slot, sid, "", titles.get(sid) || "");
      return el("li", {}, btn, slot);
    })));
  }, { loadingText: "Loading the suggested reading…" });
}

function abstained(ctx, card) {
  const titleId = `scorecard-title-${++uid}`;
  return el("section", { class: "scorecard card abstained", "aria-labelledby": titleId },
    el("p", { class: "eyebrow" }, "Scorecard"),
    el("h2", { id: titleId, class: "sc-heading", tabindex: "-1" }, "No score this time"),
    el("p", { class: "lead abstain-message" }, card.message || "This answer could not be graded."),
    el("p", { class: "muted" }, ctx.interview ? "Nothing was scored, so this session does not count against your progress. "
      : "Nothing was scored. ",
      "Try the question again with a fuller answer: your reasoning in a few sentences, in English."),
    ctx.onRetryQuestion ? el("button", { type: "button", class: "btn primary", on: { click: ctx.onRetryQuestion } },
      "Try this question again") : null,
    flagsList(card.flags),
    answerBlock(gradedText(ctx), []));
}

/** The text that was graded: an interview's answers, or the answer given with the candidate's own rubric. */
function gradedText(ctx) {
  return ctx.interview ? answerText(ctx.interview.messages) : ctx.answer || "";
}

/** How an inline rubric was read: keys that were not used, scales, anything the author should check. */
function rubricNotes(warnings) {
  if (!warnings || !warnings.length) return null;
  return el("div", { class: "flags rubric-notes", role: "note", "aria-label": "How your rubric was read" },
    el("h3", { class: "sub" }, "How your rubric was read"),
    el("ul", {}, warnings.map((w) => el("li", {}, w))));
}

/**
 * ctx: {interview (the GET view), card, disputes, onChange(card, disputes, focusCriterion), onRetryQuestion?}, or
 * for a stateless grade {title, answer, card, disputes, dispute(criterionId, reason) -> the dispute's result}.
 */
export function renderScorecard(ctx) {
  const { card } = ctx;
  if (!card) return loading("Waiting for the scorecard…");
  if (card.abstained) return abstained(ctx, card);
  const wrapped = {
    ...ctx,
    dispute: ctx.dispute || (ctx.interview && ((criterionId, reason) => api.dispute(ctx.interview.id, criterionId, reason))),
    onDispute: (res, criterionId) => {
      const disputes = [...ctx.disputes, res];
      ctx.onChange(res.scorecard || card, disputes, criterionId);
    },
  };
  const o = card.overall || { score: 0, band: "below_bar" };
  const summary = card.summary || {};
  const titleId = `scorecard-title-${++uid}`;
  return el("section", { class: "scorecard card", "aria-labelledby": titleId },
    el("div", { class: "sc-head" },
      el("div", { class: ["sc-score", `band-${o.band}`] },
        el("span", { class: "sc-num" }, String(Math.round(o.score))), el("span", { class: "sc-out" }, "out of 100")),
      el("div", { class: "sc-title" },
        el("p", { class: "eyebrow" }, "Scorecard"),
        el("h2", { id: titleId, class: "sc-heading", tabindex: "-1" }, bandLabel(o.band)),
        el("p", { class: "muted" }, ctx.interview ? ctx.interview.question.title : ctx.title),
        timingLine(card.timing))),
    flagsList(card.flags),
    rubricNotes(card.rubric_warnings),
    summary.strengths?.length || summary.improvement ? el("div", { class: "summary" },
      summary.strengths?.length ? el("p", {}, el("strong", {}, "Strengths: "), summary.strengths.join("; ")) : null,
      summary.improvement ? el("p", {}, el("strong", {}, "Most valuable improvement: "), summary.improvement) : null)
      : null,
    answerBlock(gradedText(ctx), card.criteria || []),
    el("h3", { class: "sub" }, "By criterion"),
    el("ol", { class: "criteria" }, (card.criteria || []).map((c, i) => criterionCard(wrapped, c, i))),
    ctx.interview ? strongAnswer(ctx, card) : null);
}

/** How long the answer took, against the suggested time (recorded with interview grades). */
function timingLine(t) {
  if (!t || typeof t.answer_seconds !== "number") return null;
  const m = Math.floor(t.answer_seconds / 60);
  const sec = String(t.answer_seconds % 60).padStart(2, "0");
  const over = t.over_time ? ", over" : ", within";
  return el("p", { class: "sc-timing muted" }, `Answered in ${m}:${sec} (suggested ${t.suggested_minutes} min${over})`);
}

/** Mounts a scorecard into `slot` and keeps it current after disputes. */
export function mountScorecard(slot, ctx) {
  const render = (focusCriterion) => {
    slot.replaceChildren(renderScorecard({
      ...ctx,
      onChange: (card, disputes, criterionId) => {
        ctx.card = card;
        ctx.disputes = disputes;
        if (ctx.onUpdate) ctx.onUpdate(card, disputes);
        render(criterionId);
      },
    }));
    if (focusCriterion) {
      const results = slot.querySelectorAll(`[data-dispute-for="${CSS.escape(focusCriterion)}"]`);
      const last = results[results.length - 1];
      if (last) {
        last.scrollIntoView({ block: "nearest" });
        focusQuietly(last);
      }
    }
  };
  render(null);
}

// The "Your rubric" view: grade an answer against a rubric the candidate brings (a checklist, a Markdown table or
// JSON), through the stateless POST /api/grade. The form is kept in this browser as it is typed, so a reload or a
// refused request loses nothing; the server stores nothing. The scorecard is the interview's; a dispute re-sends
// the request with the disputes made before it, which the server decides again in order.
import { api } from "./api.js";
import { $, el, focusQuietly } from "./dom.js";
import { mountScorecard } from "./scorecard.js";
import { store } from "./store.js";
import { attempt, errorNotice } from "./ui.js";

const FIELDS = ["question", "rubric", "reference_answer", "answer"];
const EXAMPLE = "/examples/own-rubric.json";

/** The rubric as the API takes it: JSON when it is written as JSON, otherwise the pasted text itself. */
export function rubricValue(text) {
  const t = text.trim();
  if (!t) return undefined;
  if (!/^[[{]/.test(t)) return t;
  try {
    return JSON.parse(t);
  } catch (err) {
    throw new Error(`The rubric starts like JSON but could not be read (${err.message}). Fix the JSON, or paste the rubric as a checklist, one criterion per line.`);
  }
}

/** The request body, or an Error saying what to fill in first. */
export function gradeBody(values) {
  const body = {};
  const question = values.question.trim();
  const answer = values.answer.trim();
  const reference = values.reference_answer.trim();
  const rubric = rubricValue(values.rubric);
  if (!question) throw new Error("Write the question the answer responds to.");
  if (rubric === undefined && !reference) throw new Error("Give a rubric, a model answer, or both.");
  if (!answer) throw new Error("Paste the answer to grade.");
  body.question = question;
  body.answer = answer;
  if (rubric !== undefined) body.rubric = rubric;
  if (reference) body.reference_answer = reference;
  return body;
}

export function initOwnRubric(root) {
  const form = $("#own-form", root);
  const inputs = Object.fromEntries(FIELDS.map((f) => [f, $(`#own-${f.replace("_", "-")}`, root)]));
  const status = $("#own-status", root);
  const slot = $("#own-scorecard", root);
  const exampleStatus = $("#own-example-status", root);
  const submit = $("#own-submit", root);

  const values = () => Object.fromEntries(FIELDS.map((f) => [f, inputs[f].value]));
  const fill = (v) => {
    for (const f of FIELDS) inputs[f].value = v[f] || "";
    store.saveOwnRubric(values());
  };

  fill(store.ownRubric());
  for (const f of FIELDS) inputs[f].addEventListener("input", () => store.saveOwnRubric(values()));

  $("#own-example", root).addEventListener("click", () => {
    const before = values();
    const hadText = FIELDS.some((f) => before[f].trim());
    attempt(exampleStatus, () => fetch(EXAMPLE).then((r) => {
      if (!r.ok) throw new Error(`The example could not be loaded (${r.status}).`);
      return r.json();
    }), (example) => {
      fill(example);
      if (!hadText) return;
      const undo = el("button", { type: "button", class: "btn small", on: { click: () => {
        fill(before);
        exampleStatus.replaceChildren();
        inputs.question.focus();
      } } }, "Put my text back");
      exampleStatus.replaceChildren(el("div", { class: "notice", role: "status" },
        el("p", { class: "notice-text" }, "The example replaced your text."), undo));
    }, { loadingText: "Loading the example…" });
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    let body;
    try {
      body = gradeBody(values());
    } catch (err) {
      status.replaceChildren(errorNotice(err));
      return;
    }
    submit.disabled = true;
    slot.replaceChildren();
    attempt(status, () => api.gradeInline(body), (card) => {
      submit.disabled = false;
      const ctx = { card, disputes: [], title: body.question, answer: body.answer };
      // Nothing is stored on the server: each dispute repeats the request with the ones made before it.
      ctx.dispute = (criterionId, reason) => api.gradeDispute({ ...body, criterion_id: criterionId, reason,
        earlier: ctx.disputes.map((d) => ({ criterion_id: d.criterion_id, reason: d.reason })) });
      mountScorecard(slot, ctx);
      const heading = slot.querySelector(".sc-heading");
      slot.scrollIntoView({ block: "start" });
      focusQuietly(heading);
    }, { loadingText: "Grading against your rubric…", onError: () => { submit.disabled = false; } });
  });

  return {};
}

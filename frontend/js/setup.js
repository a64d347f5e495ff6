// Choosing an interview question: a type and level (and optionally one question), or the next best question.
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { humanize, levelLabel } from "./text.js";
import { attempt } from "./ui.js";

/** Wires the setup form; `onStart(body)` gets {} (next best), {question_id} or {type?, level?}. */
export function initSetup(root, onStart) {
  const form = $("#setup-form", root);
  const type = $("#f-type", root);
  const level = $("#f-level", root);
  const question = $("#f-question", root);
  let questions = [];

  function fillQuestions() {
    const matching = questions.filter((x) => (!type.value || x.type === type.value)
      && (!level.value || x.level === level.value));
    question.replaceChildren(el("option", { value: "" }, `Any matching question (${matching.length})`),
      ...matching.map((x) => el("option", { value: x.id }, `${x.title} · ${levelLabel(x.level)}`)));
  }

  attempt($("#questions-status", root), () => api.questions(), (list) => {
    questions = list;
    const types = [...new Set(list.map((x) => x.type))].sort();
    const levels = ["apm", "pm", "senior"].filter((l) => list.some((x) => x.level === l));
    type.replaceChildren(el("option", { value: "" }, "Any type"), ...types.map((t) => el("option", { value: t }, humanize(t))));
    level.replaceChildren(el("option", { value: "" }, "Any level"),
      ...levels.map((l) => el("option", { value: l }, levelLabel(l))));
    fillQuestions();
  }, { loadingText: "Loading the question bank…" });

  type.addEventListener("change", fillQuestions);
  level.addEventListener("change", fillQuestions);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (question.value) return onStart({ question_id: question.value });
    const body = {};
    if (type.value) body.type = type.value;
    if (level.value) body.level = level.value;
    return onStart(body);
  });
  $("#next-best", root).addEventListener("click", () => onStart({}));
}

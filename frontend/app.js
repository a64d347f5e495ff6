// casewise: the app shell. Five views behind tabs; each view lives in its own module under js/.
import { $, $$ } from "./js/dom.js";
import { initGuide } from "./js/guide.js";
import { initHistory } from "./js/history.js";
import { initInterview } from "./js/interview.js";
import { initOwnRubric } from "./js/ownrubric.js";
import { initProgress } from "./js/progress.js";

const NAMES = ["interview", "guide", "rubric", "progress", "history"];
const tabs = Object.fromEntries(NAMES.map((n) => [n, $(`#tab-${n}`)]));
const panels = Object.fromEntries(NAMES.map((n) => [n, $(`#view-${n}`)]));
let current = null;

function select(name, { focusTab = false } = {}) {
  if (!NAMES.includes(name)) name = "interview";
  for (const n of NAMES) {
    const on = n === name;
    tabs[n].setAttribute("aria-selected", String(on));
    tabs[n].tabIndex = on ? 0 : -1;
    panels[n].hidden = !on;
  }
  if (focusTab) tabs[name].focus();
  if (`#${name}` !== window.location.hash) window.history.replaceState(null, "", `#${name}`);
  const changed = current !== name;
  current = name;
  if (changed) {
    window.scrollTo({ top: 0 });
    views[name]?.show?.();
  }
}

const app = {
  startInterview(body) {
    select("interview");
    return views.interview.start(body);
  },
  resume(id) {
    select("interview");
    return views.interview.resume(id);
  },
};

const views = {
  interview: initInterview(panels.interview, app),
  guide: initGuide(panels.guide, app),
  rubric: initOwnRubric(panels.rubric, app),
  progress: initProgress(panels.progress, app),
  history: initHistory(panels.history, app),
};

for (const n of NAMES) tabs[n].addEventListener("click", () => select(n));
$("#tabs").addEventListener("keydown", (event) => {
  const i = NAMES.indexOf(current);
  const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: NAMES.length - 1 }[event.key];
  if (to === undefined) return;
  event.preventDefault();
  select(NAMES[(to + NAMES.length) % NAMES.length], { focusTab: true });
});
for (const link of $$("a[data-view]")) {
  link.addEventListener("click", (event) => {
    event.preventDefault();
    select(link.dataset.view);
  });
}
window.addEventListener("hashchange", () => select(window.location.hash.slice(1)));
select(window.location.hash.slice(1) || "interview");

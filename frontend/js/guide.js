// Ask the guide: a chat whose answers carry numbered citations; a citation opens its section beside the chat
// with the cited snippet highlighted. Earlier questions come back from the server after a reload, and terms the
// guide defines are marked in answers (their definition as a tooltip). Answers stream: the model's words show as
// a plain-text draft, replaced by the checked answer when it comes. Answer text is only ever set as text.
import { api } from "./api.js";
import { $, el, focusQuietly } from "./dom.js";
import { sectionReader } from "./reader.js";
import { attempt, loading } from "./ui.js";

export function initGuide(root) {
  const form = $("#guide-form", root);
  const input = $("#guide-q", root);
  const log = $("#guide-log", root);
  const pane = $("#guide-reader", root);
  const layout = $(".guide-layout", root);
  const list = $("#guide-sections", root);
  const browse = $("#guide-browse", root);
  let opener = null;
  let terms = [];  // [{re, term}] from the glossary, longest names first

  function closeReader() {
    pane.hidden = true;
    pane.replaceChildren();
    layout.classList.remove("reading");
    if (opener && opener.isConnected) opener.focus();
  }

  function openSection(sectionId, snippet, title, from) {
    opener = from || null;
    layout.classList.add("reading");
    pane.hidden = false;
    pane.replaceChildren(sectionReader(sectionId, { snippet, title, headingLevel: 3, onClose: closeReader }));
  }

  function citationButton(c, label) {
    const btn = el("button", { type: "button", class: label ? "cite-source" : "cite",
      "aria-label": label ? `Open source ${c.n}: ${c.title}` : `Citation ${c.n}: open ${c.title}`,
      dataset: { section: c.section_id, n: String(c.n) } }, label || `[${c.n}]`);
    btn.addEventListener("click", () => openSection(c.section_id, c.snippet, c.title, btn));
    return btn;
  }

  /** Text with glossary terms wrapped in <dfn> (definition in the tooltip); everything stays a text node. */
  function withTerms(text) {
    const out = [];
    let rest = text;
    while (rest) {
      let best = null;
      for (const t of terms) {
        t.re.lastIndex = 0;
        const m = t.re.exec(rest);
        if (m && (!best || m.index < best.m.index)) best = { m, t };
      }
      if (!best) break;
      if (best.m.index > 0) out.push(document.createTextNode(rest.slice(0, best.m.index)));
      out.push(el("dfn", { class: "term", title: best.t.term.sentence }, best.m[0]));
      rest = rest.slice(best.m.index + best.m[0].length);
    }
    if (rest) out.push(document.createTextNode(rest));
    return out;
  }

  /** The answer's text with each [n] made a button that opens citation n. */
  function answerWithCitations(res) {
    const byN = new Map(res.citations.map((c) => [c.n, c]));
    const p = el("p", { class: res.grounded ? "answer-text-plain" : "answer-text-plain declined" });
    let last = 0;
    const re = /\[(\d+)\]/g;
    let m;
    while ((m = re.exec(res.answer))) {
      const c = byN.get(Number(m[1]));
      if (!c) continue;
      if (m.index > last) p.append(...withTerms(res.answer.slice(last, m.index)));
      p.append(citationButton(c));
      last = re.lastIndex;
    }
    if (last < res.answer.length) p.append(...(res.grounded ? withTerms(res.answer.slice(last))
      : [document.createTextNode(res.answer.slice(last))]));
    return p;
  }

  function renderAnswer(slot, res) {
    const parts = [];
    res.citations = res.citations || [];
    if (res.degraded) {
      const checked = /(unsupported|uncited|refusal|echo)$/.test(res.degraded_reason || "");
      parts.push(el("p", { class: "muted small" }, checked
        ? "The language model's answer did not pass the check against the guide, so this answer is quoted straight from it."
        : "The language model was unavailable, so this answer is quoted straight from the guide."));
    }
    parts.push(answerWithCitations(res));
    if (res.citations.length) {
      parts.push(el("h3", { class: "sources-title" }, "Sources"),
        el("ol", { class: "sources" }, res.citations.map((c) => el("li", {},
          citationButton(c, `[${c.n}] ${c.title}`), el("q", { class: "snippet" }, c.snippet)))));
    } else if (res.nearest && res.nearest.length) {
      parts.push(el("h3", { class: "sources-title" }, "Nearest sections"),
        el("ul", { class: "sources" }, res.nearest.map((n) => {
          const b = el("button", { type: "button", class: "cite-source" }, n.title);
          b.addEventListener("click", () => openSection(n.section_id, "", n.title, b));
          return el("li", {}, b);
        })));
    }
    if (res.flags && res.flags.length) {
      parts.push(el("ul", { class: "answer-flags small muted" }, res.flags.map((f) => el("li", {}, f))));
    }
    slot.replaceChildren(...parts);
  }

  /** Append one question and a slot for its answer to the log. */
  function exchange(q) {
    const answerSlot = el("div", { class: "msg-body" });
    log.append(
      el("li", { class: "msg msg-candidate" }, el("div", { class: "msg-meta" }, el("span", { class: "msg-who" }, "You")),
        el("div", { class: "msg-body" }, q)),
      el("li", { class: "msg msg-interviewer guide-answer" },
        el("div", { class: "msg-meta" }, el("span", { class: "msg-who" }, "Guide")), answerSlot));
    return answerSlot;
  }

  /**
   * The answer, streamed: the model's words appear as plain text while it writes them, marked as a draft; the
   * checked answer (the `done` event) is returned and replaces the draft, also when the check rejected it. When
   * streaming fails for any reason but a refusal the whole-answer endpoint would repeat, ask that endpoint.
   */
  async function streamed(q, slot) {
    let draft = null;
    try {
      return await api.askStream(q, (text) => {
        if (!draft) {
          draft = el("p", { class: "answer-text-plain answer-draft" });
          slot.setAttribute("aria-busy", "true");  // assistive tech reads the final answer, not every word
          slot.replaceChildren(draft, el("p", { class: "muted small", role: "status" },
            "Writing… checked against the guide before it is final."));
        }
        draft.append(document.createTextNode(text));
      });
    } catch (err) {
      const refused = err.status >= 400 && err.status < 500 && err.status !== 404 && err.status !== 405;
      if (refused) throw err;
      slot.replaceChildren(loading("Searching the guide…"));
      return api.ask(q);
    } finally {
      slot.removeAttribute("aria-busy");
    }
  }

  function ask(question) {
    const q = question.trim();
    if (!q) return;
    const answerSlot = exchange(q);
    input.value = "";
    answerSlot.scrollIntoView({ block: "nearest" });
    attempt(answerSlot, () => streamed(q, answerSlot), (res) => renderAnswer(answerSlot, res), {
      loadingText: "Searching the guide…",
      onError: (err) => {
        if (!err.retryable && !input.value) input.value = q;
      },
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ask(input.value);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask(input.value);
    }
  });

  // The glossary (for highlights) and the earlier questions load once; failures leave the view usable.
  api.glossary().then((list) => {
    const names = list.flatMap((t) => [t.term, ...t.aliases].map((name) => ({ name, term: t })));
    names.sort((a, b) => b.name.length - a.name.length);
    const esc = (x) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    terms = names.map(({ name, term }) => ({ term, re: new RegExp(`(?<![\\w-])${esc(name)}(?:s|es)?(?![\\w-])`, "i") }));
  }).catch(() => {}).finally(() => {
    api.guideHistory().then((items) => {
      if (log.children.length) return;  // the reader already asked something; keep their view
      for (const item of items) renderAnswer(exchange(item.question), item.answer);
    }).catch(() => {});
  });

  let listed = false;
  browse.addEventListener("toggle", () => {
    if (!browse.open || listed) return;
    const status = el("div");
    list.replaceChildren(el("li", {}, status));
    attempt(status, () => api.sections(), (sections) => {
      listed = true;
      list.replaceChildren(...sections.map((sec) => {
        const b = el("button", { type: "button", class: "cite-source" }, sec.title);
        b.addEventListener("click", () => openSection(sec.id, "", sec.title, b));
        return el("li", {}, b);
      }));
    }, { loadingText: "Loading the sections…" });
  });

  return { show: () => {}, focus: () => focusQuietly(input) };
}

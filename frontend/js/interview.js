// The Interview view: chat with the interviewer, then get graded. The interviewer's messages are shown whole, as
// the POST that asked for them returns them: the embedded interviewer answers in milliseconds, and an LLM reply is
// checked as a whole on the server before it is shown, so there is nothing real to stream and no typing to stage.
import { api, newKey } from "./api.js";
import { $, el, focusQuietly } from "./dom.js";
import { sectionReader } from "./reader.js";
import { mountScorecard } from "./scorecard.js";
import { initSetup } from "./setup.js";
import { store } from "./store.js";
import { humanize, levelLabel } from "./text.js";
import { createTimer } from "./timer.js";
import { attempt, errorNotice } from "./ui.js";

const KIND = {
  question: "Question", clarification: "Clarification", probe: "Follow-up", notice: "Note", scorecard: "Scorecard",
  answer: "Answer", probe_answer: "Follow-up answer", clarifying_question: "Clarifying question", skip: "Skipped",
  guide_answer: "From the guide", nudge: "Follow-up",
};
const TIME_NOTE = "You're at the suggested time. Wrap up your answer when you can, then press “Grade me”.";
const HINTS = {
  awaiting_answer: "Ask clarifying questions if you need to, then give your answer.",
  follow_up: "Answer the follow-up, or skip it. You can ask for your grade at any time.",
  ready_to_grade: "Add anything you missed, or press “Grade me”.",
  graded: "This interview is graded. Start a new one whenever you like.",
};
const ANSWER_KINDS = new Set(["answer", "probe_answer"]);

export function initInterview(root, app) {
  const q = (id) => $(`#${id}`, root);
  const ui = {
    setup: q("iv-setup"), setupForm: q("setup-form"), setupStatus: q("setup-status"), setupTitle: q("setup-title"),
    session: q("iv-session"), title: q("iv-title"), meta: q("iv-meta"), grade: q("grade-btn"), newBtn: q("new-btn"),
    transcript: q("transcript"), typing: q("typing"), typingText: q("typing-text"), status: q("iv-status"),
    composer: q("composer"), text: q("composer-text"), send: q("send-btn"), skip: q("skip-btn"), hint: q("iv-hint"),
    gradeStatus: q("grade-status"), scorecard: q("scorecard-slot"),
  };
  // The timer nudges once, when the suggested time runs out during the session (not again after a reload).
  const timer = createTimer(q("timer-value"), q("timer-label"), q("iv-timer"), () => {
    if (!s.iv || s.iv.state === "graded") return;
    ui.status.replaceChildren(el("p", { class: "notice time-note", role: "status" }, TIME_NOTE));
  });
  initIntro(root);
  const s = { iv: null, busy: false, queued: null, rendered: new Set(), lastId: 0 };

  initSetup(root, (body) => start(body));

  function showSetup() {
    timer.stop();
    s.iv = null;
    s.queued = null;
    ui.session.hidden = true;
    ui.setup.hidden = false;
    for (const slot of [ui.transcript, ui.status, ui.gradeStatus, ui.scorecard]) slot.replaceChildren();
  }

  /** Starts an interview: {} for the next best question, or {question_id} / {type, level}. */
  function start(body) {
    showSetup();
    const buttons = [...ui.setupForm.querySelectorAll("button")];
    buttons.forEach((b) => { b.disabled = true; });
    return attempt(ui.setupStatus, () => api.start(body), (iv) => {
      buttons.forEach((b) => { b.disabled = false; });
      return openInterview(iv, { fresh: true });
    }, { loadingText: "Preparing your interview…", onError: () => buttons.forEach((b) => { b.disabled = false; }) });
  }

  // -- the transcript -----------------------------------------------------------------------------------

  function bubble(m, { pending = false } = {}) {
    const who = m.role === "candidate" ? "You" : "Interviewer";
    const body = el("div", { class: "msg-body" }, m.text || "");
    const label = el("span", { class: "msg-kind" }, KIND[m.kind] || humanize(m.kind));
    const li = el("li", { class: ["msg", `msg-${m.role}`, `kind-${m.kind}`, pending && "pending"],
      dataset: m.id ? { id: String(m.id) } : {} },
    el("div", { class: "msg-meta" }, el("span", { class: "msg-who" }, who), label), body);
    li.bodyNode = body;
    cite(li, m);
    li.kindNode = label;
    ui.transcript.append(li);
    li.scrollIntoView({ block: "nearest" });
    return li;
  }

  function record(m) {
    if (!s.iv.messages.some((x) => x.id === m.id)) s.iv.messages.push(m);
    s.rendered.add(m.id);
    s.lastId = Math.max(s.lastId, m.id || 0);
  }

  function setBusy(busy, text = "") {
    s.busy = busy;
    ui.typing.hidden = !busy;
    ui.typingText.textContent = text;
    ui.transcript.setAttribute("aria-busy", String(busy));
    updateControls();
    // A message sent while the interviewer was still speaking goes out as soon as it has finished.
    if (!busy && s.queued !== null && s.iv && s.iv.state !== "graded") {
      const text2 = s.queued;
      s.queued = null;
      send(text2);
    }
  }

  /** Shows the interviewer's messages the server returned, each once, in order. */
  function showReplies(iv, messages) {
    if (s.iv !== iv) return;
    for (const m of messages) {
      if (s.rendered.has(m.id)) continue;
      bubble(m);
      record(m);
    }
  }

  /** After grading, shows the scorecard line the server added to the transcript (a reload would show it too). */
  async function showNewTurns(iv) {
    let fresh;
    try {
      fresh = await api.interview(iv.id);
    } catch {
      return; // the scorecard itself is on screen; the transcript line comes back on the next load
    }
    showReplies(iv, fresh.messages.filter((m) => m.role === "interviewer" && m.id > s.lastId));
  }

  // -- an open interview --------------------------------------------------------------------------------

  function openInterview(iv, { fresh = false, focus = false } = {}) {
    s.iv = { ...iv, messages: [], disputes: iv.disputes || [] };
    s.rendered = new Set();
    s.lastId = 0;
    s.busy = false;
    s.queued = null;
    store.current = iv.id;
    ui.setup.hidden = true;
    ui.session.hidden = false;
    ui.status.replaceChildren();
    ui.gradeStatus.replaceChildren();
    ui.scorecard.replaceChildren();
    ui.transcript.replaceChildren();
    ui.title.textContent = iv.question.title;
    ui.meta.textContent = `${humanize(iv.question.type)} · ${levelLabel(iv.question.level)} · ${iv.question.suggested_minutes} min`;
    ui.text.value = store.draft(iv.id);
    if (iv.state === "graded") timer.finish(iv.created_at, iv.completed_at);
    else timer.start(iv.created_at || new Date().toISOString(), iv.question.suggested_minutes);
    for (const m of iv.messages) {
      bubble(m);
      record(m);
    }
    setBusy(false); // the transcript is complete: aria-busy false, controls enabled for its state
    if (fresh) ui.text.focus();
    if (iv.state === "graded") showScorecard(false);
    else if (focus) focusQuietly(ui.title);
  }

  function reload(id, { focus = false } = {}) {
    showSetup();
    return attempt(ui.setupStatus, () => api.interview(id), (iv) => openInterview(iv, { focus }), {
      loadingText: "Restoring your interview…",
      onError: (err) => {
        if (err.status === 404) {
          store.current = null;
          ui.setupStatus.replaceChildren();
        }
      },
    });
  }

  function updateControls() {
    const iv = s.iv;
    if (!iv) return;
    const graded = iv.state === "graded";
    const answered = iv.messages.some((m) => m.role === "candidate" && ANSWER_KINDS.has(m.kind));
    ui.hint.textContent = HINTS[iv.state] || "";
    ui.composer.hidden = graded;
    ui.grade.hidden = graded;
    ui.grade.disabled = s.busy || !answered;
    ui.grade.title = answered ? "" : "Give an answer first";
    ui.send.disabled = false;
    ui.skip.hidden = graded || iv.state !== "follow_up";
    ui.skip.disabled = s.busy;
  }

  // `key` stays the same across retries of one message, so a reply lost on the way is not stored twice.
  async function send(text, key = newKey()) {
    const iv = s.iv;
    if (!iv || !text.trim()) return;
    if (s.busy) {
      s.queued = text;
      ui.typingText.textContent = "Your message will be sent when the interviewer has finished…";
      return;
    }
    ui.status.replaceChildren();
    const li = bubble({ role: "candidate", kind: "answer", text }, { pending: true });
    li.kindNode.textContent = "Sending…";
    setBusy(true, "Interviewer is thinking…");
    let res;
    try {
      res = await api.send(iv.id, text, key);
    } catch (err) {
      li.remove();
      setBusy(false);
      ui.status.replaceChildren(errorNotice(err, err.retryable ? () => send(text, key) : null));
      return;
    }
    if (s.iv !== iv) return;
    const mine = { id: res.received.id, role: "candidate", kind: res.received.kind, text };
    li.classList.remove("pending");
    li.dataset.id = String(mine.id);
    li.classList.add(`kind-${mine.kind}`);
    li.kindNode.textContent = KIND[mine.kind] || humanize(mine.kind);
    record(mine);
    if (ui.text.value === text) ui.text.value = "";
    store.saveDraft(iv.id, ui.text.value);
    showReplies(iv, res.messages || []);
    iv.state = res.state;
    setBusy(false);
  }

  function grade() {
    const iv = s.iv;
    if (!iv || s.busy) return;
    ui.status.replaceChildren();
    setBusy(true, "Grading your answer…");
    attempt(ui.gradeStatus, () => api.grade(iv.id), async (card) => {
      iv.scorecard = card;
      iv.state = "graded";
      iv.disputes = [];
      await showNewTurns(iv);
      setBusy(false);
      timer.finish(iv.created_at, null);
      showScorecard(true);
    }, {
      loadingText: "Grading your answer against the rubric…",
      onError: (err) => {
        setBusy(false);
        ui.gradeStatus.scrollIntoView({ block: "nearest" });
        if (err.status === 409) {
          const said = err.message.charAt(0).toUpperCase() + err.message.slice(1).replace(/\.?$/, ".");
          ui.gradeStatus.replaceChildren(errorNotice(new Error(`${said} Give your answer in the chat, then press “Grade me”.`)));
        }
      },
    });
  }

  function showScorecard(focus) {
    const iv = s.iv;
    updateControls();
    mountScorecard(ui.scorecard, {
      interview: iv,
      card: iv.scorecard,
      disputes: iv.disputes || [],
      onUpdate: (card, disputes) => { iv.scorecard = card; iv.disputes = disputes; },
      onRetryQuestion: () => start({ question_id: iv.question.id }),
    });
    if (focus) {
      const heading = ui.scorecard.querySelector(".sc-heading");
      if (heading) {
        ui.scorecard.scrollIntoView({ block: "start" });
        focusQuietly(heading);
      }
    }
  }

  // -- the composer -------------------------------------------------------------------------------------

  ui.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    send(ui.text.value);
  });
  // Ctrl+Enter (Cmd+Enter on a Mac) sends; a plain Enter is a new line, so paragraphs work on a phone too.
  ui.text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.isComposing) {
      event.preventDefault();
      send(ui.text.value);
    }
  });
  ui.text.addEventListener("input", () => {
    if (s.iv) store.saveDraft(s.iv.id, ui.text.value);
  });
  ui.skip.addEventListener("click", () => send("skip"));
  ui.grade.addEventListener("click", grade);
  ui.newBtn.addEventListener("click", () => {
    store.current = null;
    showSetup();
    ui.setupStatus.replaceChildren();
    focusQuietly(ui.setupTitle);
  });

  if (store.current) reload(store.current);
  else ui.setupStatus.replaceChildren();

  return {
    start,
    resume: (id) => reload(id, { focus: true }),
    get currentId() { return s.iv?.id || null; },
  };
}

/** Adds the citation of a guide answer once its message (with the cited section's id) is complete. */
function cite(li, m) {
  if (m.kind === "guide_answer" && m.criterion_id && !li.querySelector(".msg-cite")) li.append(citation(m.criterion_id));
}

/** The guide section a guide answer cites, opened in place under the message. */
function citation(sectionId) {
  const slot = el("div", { class: "msg-reader" });
  const button = el("button", { type: "button", class: "btn ghost small", "aria-expanded": "false" },
    "Open the cited guide section");
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", String(!open));
    button.textContent = open ? "Open the cited guide section" : "Close the guide section";
    slot.replaceChildren(...(open ? [] : [sectionReader(sectionId, { headingLevel: 3, focus: false })]));
  });
  return el("div", { class: "msg-cite", dataset: { section: sectionId } }, button, slot);
}

/** The "how a session works" panel: shown until it is dismissed once. */
function initIntro(root) {
  const panel = $("#howto", root);
  if (!panel) return;
  panel.hidden = store.introSeen;
  $("#howto-dismiss", root).addEventListener("click", () => {
    store.introSeen = true;
    panel.hidden = true;
    focusQuietly($("#setup-title", root));
  });
}

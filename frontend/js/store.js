// Local persistence: the current interview id, one draft per interview, and the "Your rubric" form. Storage may be unavailable.
const CURRENT = "casewise.current";
const INTRO = "casewise.intro-seen";
const OWN = "casewise.own-rubric";
const draftKey = (id) => `casewise.draft.${id}`;

function get(key) {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function set(key, value) {
  try {
    if (value === null || value === "") window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    /* storage full or disabled: drafts are a convenience */
  }
}

export const store = {
  get current() {
    return get(CURRENT);
  },
  set current(id) {
    set(CURRENT, id || null);
  },
  get introSeen() {
    return get(INTRO) === "1";
  },
  set introSeen(seen) {
    set(INTRO, seen ? "1" : null);
  },
  draft: (id) => get(draftKey(id)) || "",
  saveDraft: (id, text) => set(draftKey(id), text),
  clearDraft: (id) => set(draftKey(id), null),
  /** The "Your rubric" form as last typed: {question, rubric, reference_answer, answer}. */
  ownRubric() {
    try {
      const v = JSON.parse(get(OWN) || "{}");
      return v && typeof v === "object" ? v : {};
    } catch {
      return {};
    }
  },
  saveOwnRubric: (values) => set(OWN, Object.values(values).some((v) => v.trim()) ? JSON.stringify(values) : null),
};

// Local persistence: the current interview id and one draft per interview. Storage may be unavailable.
const CURRENT = "casewise.current";
const INTRO = "casewise.intro-seen";
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
};

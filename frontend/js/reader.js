// A guide section opened in place, with a snippet highlighted: used by the guide's citations and the scorecard.
import { api } from "./api.js";
import { el, focusQuietly } from "./dom.js";
import { renderBlocks } from "./text.js";
import { attempt } from "./ui.js";

let readerCount = 0;

function scrollingBox(node) {
  for (let p = node.parentElement; p && p !== document.body; p = p.parentElement) {
    const overflow = getComputedStyle(p).overflowY;
    if ((overflow === "auto" || overflow === "scroll") && p.scrollHeight > p.clientHeight) return p;
  }
  return null;
}

/** Brings `node` to the middle of the reader's own scrolling box, or of the page when the reader has none. */
function reveal(node) {
  const box = scrollingBox(node);
  if (!box) {
    node.scrollIntoView({ block: "center" });
    return;
  }
  box.scrollIntoView({ block: "nearest" });
  const r = node.getBoundingClientRect();
  const b = box.getBoundingClientRect();
  box.scrollTop += r.top - b.top - (box.clientHeight - r.height) / 2;
}

/**
 * Builds a reader element and starts loading the section. `onClose` (optional) adds a Close button.
 * `headingLevel` is the level of the section title inside the page (h3 by default).
 */
export function sectionReader(sectionId, { snippet = "", title = "", onClose, headingLevel = 3, focus = true } = {}) {
  const id = `reader-${++readerCount}`;
  const heading = el(`h${headingLevel}`, { class: "reader-title", id: `${id}-title`, tabindex: "-1" },
    title || "Guide section");
  const head = el("div", { class: "reader-head" }, heading);
  if (onClose) {
    head.append(el("button", { type: "button", class: "btn ghost small", "aria-label": "Close the section",
      on: { click: onClose } }, "Close"));
  }
  const status = el("div");
  const body = el("div", { class: "reader-body" });
  const root = el("section", { class: "reader", "aria-labelledby": heading.id, dataset: { section: sectionId } },
    head, status, body);

  attempt(status, () => api.section(sectionId), (section) => {
    heading.textContent = section.title;
    const { node, marks } = renderBlocks(section.blocks, { highlight: snippet, skipTitle: section.title,
      headingOffset: headingLevel - 1 });
    const note = snippet
      ? el("p", { class: "reader-note" }, marks.length ? "The cited passage is highlighted." : "")
      : null;
    body.replaceChildren(...[note, node].filter((n) => n && (n.textContent || n === node)));
    if (focus) focusQuietly(heading);
    reveal(marks[0] || heading);
  }, { loadingText: "Opening the section…" });
  return root;
}

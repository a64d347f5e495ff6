// Text helpers: labels, finding quotes inside text, highlighting them, and the DOM for a guide section's blocks
// (parsed from Markdown on the server by markdown-it-py). Nothing here ever parses HTML or Markdown.
import { el } from "./dom.js";

const WORDS = { ai: "AI", apm: "APM", pm: "PM", llm: "LLM", rag: "RAG" };

/** "ai_product_design" -> "AI product design" */
export function humanize(id) {
  const parts = String(id || "").split(/[_-]+/).filter(Boolean).map((w) => WORDS[w] || w);
  if (!parts.length) return "";
  parts[0] = parts[0].charAt(0).toUpperCase() + parts[0].slice(1);
  return parts.join(" ");
}

export const LEVELS = { apm: "APM", pm: "PM", senior: "Senior PM" };
export const levelLabel = (level) => LEVELS[level] || humanize(level);

export const BANDS = {
  below_bar: "Below the bar",
  approaching: "Approaching the bar",
  meets_bar: "Meets the bar",
  strong: "Strong",
};
export const bandLabel = (band) => BANDS[band] || humanize(band);

export function formatDate(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleString(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Where `quote` occurs in `text`: exactly, or with any run of whitespace standing for any other. */
export function findQuote(text, quote) {
  const q = (quote || "").trim();
  if (!q) return null;
  const at = text.indexOf(q);
  if (at >= 0) return { start: at, end: at + q.length };
  const words = q.split(/\s+/).map(escapeRegExp);
  const m = new RegExp(words.join("\\s+")).exec(text);
  return m ? { start: m.index, end: m.index + m[0].length } : null;
}

/** Ranges of every quote found in text, merged where they overlap; each keeps the labels of what it covers. */
export function findRanges(text, quotes) {
  const found = [];
  for (const { quote, label, ref } of quotes) {
    const r = findQuote(text, quote);
    if (r) found.push({ ...r, labels: label ? [label] : [], refs: ref ? [ref] : [] });
  }
  found.sort((a, b) => a.start - b.start);
  const merged = [];
  for (const r of found) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end) {
      last.end = Math.max(last.end, r.end);
      for (const l of r.labels) if (!last.labels.includes(l)) last.labels.push(l);
      for (const n of r.refs) if (!last.refs.includes(n)) last.refs.push(n);
    } else merged.push({ ...r, labels: [...r.labels], refs: [...r.refs] });
  }
  return merged;
}

function markFor(range, markClass) {
  const attrs = { class: markClass };
  if (range.labels && range.labels.length) attrs.title = range.labels.join(" · ");
  return el("mark", attrs);
}

/**
 * Builds nodes for styled runs ([{text, bold, italic, code}]) with the character ranges wrapped in <mark>.
 * A range may cross run boundaries; each piece is marked separately.
 */
export function renderRuns(runs, ranges = [], markClass = "hl") {
  const out = [];
  let pos = 0;
  for (const run of runs) {
    const runEnd = pos + run.text.length;
    let cursor = pos;
    const pieces = [];
    for (const r of ranges) {
      if (r.end <= cursor || r.start >= runEnd) continue;
      const s = Math.max(r.start, cursor);
      const e = Math.min(r.end, runEnd);
      if (s > cursor) pieces.push({ text: run.text.slice(cursor - pos, s - pos) });
      pieces.push({ text: run.text.slice(s - pos, e - pos), range: r, last: e === r.end });
      cursor = e;
    }
    if (cursor < runEnd) pieces.push({ text: run.text.slice(cursor - pos) });
    for (const p of pieces) {
      let node = document.createTextNode(p.text);
      if (run.code) node = el("code", {}, node);
      if (run.italic) node = el("em", {}, node);
      if (run.bold) node = el("strong", {}, node);
      if (p.range) {
        const mark = markFor(p.range, markClass);
        mark.append(node);
        node = mark;
      }
      out.push(node);
      // Which criteria a highlight is evidence for, as small numbers after it (decorative: the mark has a title).
      if (p.last && p.range.refs && p.range.refs.length) {
        out.push(el("sup", { class: "ev-ref", "aria-hidden": "true" }, [...p.range.refs].sort((x, y) => x - y).join(",")));
      }
    }
    pos = runEnd;
  }
  return out;
}

/** Plain text with the given quotes highlighted. */
export function highlightText(text, quotes, markClass = "hl") {
  const ranges = findRanges(text, quotes);
  return { nodes: renderRuns([{ text }], ranges, markClass), found: ranges.length };
}

/** The sentences of a snippet (snippets may join several sentences of one section). */
export function sentences(text) {
  return String(text || "").split(/(?<=[.!?])\s+(?=[A-Z0-9"“(])/).map((s) => s.trim()).filter(Boolean);
}

/**
 * Renders a guide section's blocks as DOM nodes. The server parses the Markdown (markdown-it-py, raw HTML off;
 * app/markdown.py) into blocks of styled runs: [{type: "h"|"p"|"ul"|"ol", level, runs, items}], each run
 * {text, bold, italic, code}. Only text nodes and a fixed set of elements are made here; nothing is parsed.
 * `highlight` is a snippet of plain text to mark wherever its sentences occur.
 * Returns the container and the <mark> elements made.
 */
export function renderBlocks(blocks, { highlight = "", skipTitle = "", headingOffset = 2 } = {}) {
  const quotes = highlight ? [highlight, ...sentences(highlight)].map((quote) => ({ quote })) : [];
  const root = el("div", { class: "md" });
  const runsOut = (runs) => {
    const text = runs.map((r) => r.text).join("");
    // The whole snippet first; where it is not one piece of a block, each of its sentences.
    let ranges = quotes.length ? findRanges(text, quotes.slice(0, 1)) : [];
    if (!ranges.length && quotes.length > 1) ranges = findRanges(text, quotes.slice(1));
    return renderRuns(runs, ranges, "hl");
  };
  let first = true;
  for (const b of blocks || []) {
    if (b.type === "h") {
      const text = b.runs.map((r) => r.text).join("");
      if (first && skipTitle && text.trim() === skipTitle.trim()) continue;
      const level = Math.min(6, Math.max(1, Number(b.level) || 1) + headingOffset);
      root.append(el(`h${level}`, {}, runsOut(b.runs)));
    } else if (b.type === "p") root.append(el("p", {}, runsOut(b.runs)));
    else if (b.type === "ul" || b.type === "ol") {
      root.append(el(b.type, {}, (b.items || []).map((runs) => el("li", {}, runsOut(runs)))));
    }
    first = false;
  }
  return { node: root, marks: [...root.querySelectorAll("mark")] };
}

// A small inline SVG chart of mastery (0-3) over sessions, built with DOM APIs only.
import { svg } from "./dom.js";
import { formatDate } from "./text.js";

const W = 240;
const shortDate = (iso) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleDateString(undefined, { day: "numeric", month: "short" });
};
const H = 84;
const PAD = { left: 18, right: 10, top: 8, bottom: 14 };

export function masteryChart(history, label) {
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const x = (i) => PAD.left + (history.length === 1 ? innerW / 2 : (innerW * i) / (history.length - 1));
  const y = (v) => PAD.top + innerH - (innerH * Math.max(0, Math.min(3, v))) / 3;
  const values = history.map((h) => `${shortDate(h.at)}: ${h.mastery.toFixed(1)}`).join(", ");
  const root = svg("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", focusable: "false",
    "aria-label": `${label}: mastery over ${history.length} session${history.length === 1 ? "" : "s"}: ${values} (out of 3)` });
  for (const level of [0, 1, 2, 3]) {
    root.append(svg("line", { class: level === 0 ? "axis" : "grid", x1: PAD.left, x2: W - PAD.right, y1: y(level), y2: y(level) }),
      svg("text", { class: "tick", x: PAD.left - 6, y: y(level) + 3, "text-anchor": "end" }, String(level)));
  }
  if (history.length > 1) {
    const area = [`M ${x(0)} ${y(0)}`, ...history.map((h, i) => `L ${x(i)} ${y(h.mastery)}`),
      `L ${x(history.length - 1)} ${y(0)}`, "Z"].join(" ");
    root.append(svg("path", { class: "area", d: area }),
      svg("polyline", { class: "line", points: history.map((h, i) => `${x(i)},${y(h.mastery)}`).join(" ") }));
  }
  history.forEach((h, i) => {
    root.append(svg("circle", { class: "dot", cx: x(i), cy: y(h.mastery), r: 3.5 },
      svg("title", {}, `${formatDate(h.at)}: ${h.mastery.toFixed(2)}`)));
  });
  // Dates on the time axis: the first session's and, when there are more, the latest one's.
  root.append(svg("text", { class: "tick date", x: PAD.left, y: H - 2 }, shortDate(history[0].at)));
  if (history.length > 1) {
    root.append(svg("text", { class: "tick date", x: W - PAD.right, y: H - 2, "text-anchor": "end" },
      shortDate(history[history.length - 1].at)));
  }
  return root;
}

// Ask the guide. Every piece of server text is inserted with textContent, never as HTML.
const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const res = await fetch(path, { headers: { "Content-Type": "application/json" }, ...options });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body?.error?.message || `request failed (${res.status})`);
  return body;
}

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

async function openSection(id) {
  const view = $("section-view");
  try {
    const s = await api(`/api/guide/sections/${encodeURIComponent(id)}`);
    view.replaceChildren(el("h3", s.title), el("pre", s.text, { class: "section-text" }));
    view.hidden = false;
    view.scrollIntoView({ behavior: "smooth" });
  } catch (err) {
    view.replaceChildren(el("p", err.message, { class: "error" }));
    view.hidden = false;
  }
}

async function ask(event) {
  event.preventDefault();
  const question = $("question").value;
  $("status").textContent = "Searching the guide…";
  $("answer").replaceChildren();
  $("citations").replaceChildren();
  try {
    const res = await api("/api/guide/ask", { method: "POST", body: JSON.stringify({ question }) });
    $("status").textContent = res.grounded ? "" : "Not covered by the guide.";
    $("answer").replaceChildren(el("p", res.answer));
    for (const c of res.citations) {
      const li = el("li");
      const link = el("button", `[${c.n}] ${c.title}`, { type: "button", class: "link" });
      link.addEventListener("click", () => openSection(c.section_id));
      li.append(link, el("q", c.snippet));
      $("citations").append(li);
    }
  } catch (err) {
    $("status").textContent = err.message;
  }
}

async function loadSections() {
  try {
    const list = await api("/api/guide/sections");
    $("sections").replaceChildren(...list.map((s) => {
      const li = el("li");
      const b = el("button", s.title, { type: "button", class: "link" });
      b.addEventListener("click", () => openSection(s.id));
      li.append(b);
      return li;
    }));
  } catch (err) {
    $("sections").replaceChildren(el("li", `${err.message}`, { class: "error" }));
    setTimeout(loadSections, 2000);
  }
}

$("ask-form").addEventListener("submit", ask);
loadSections();

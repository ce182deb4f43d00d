// Home page autocomplete: asks /api/search as the user types and lists concepts to pick (keyboard or mouse).
(function () {
  "use strict";
  const input = document.getElementById("search-input");
  const list = document.getElementById("search-suggestions");
  if (!input || !list) return;
  let active = -1;
  let timer = null;
  let seq = 0;

  function items() { return Array.from(list.querySelectorAll("li[role=option]")); }

  function close() {
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    active = -1;
  }

  function mark(index) {
    const all = items();
    all.forEach((li, i) => li.setAttribute("aria-selected", i === index ? "true" : "false"));
    active = index;
    if (all[index]) input.setAttribute("aria-activedescendant", all[index].id);
  }

  function highlighted(text, span) {
    // Build the label with the matched part in <mark>, as text nodes only (never innerHTML).
    const out = document.createElement("span");
    out.className = "label";
    out.dir = "auto";
    if (!span || span.end <= span.start) { out.textContent = text; return out; }
    const mk = document.createElement("mark");
    mk.textContent = text.slice(span.start, span.end);
    out.append(text.slice(0, span.start), mk, text.slice(span.end));
    return out;
  }

  function show(results) {
    list.replaceChildren();
    results.forEach((r, i) => {
      const li = document.createElement("li");
      li.id = "suggestion-" + i;
      li.setAttribute("role", "option");
      li.dir = "auto";
      li.dataset.slug = r.slug;
      li.dataset.href = "/concept/" + encodeURIComponent(r.slug);
      li.append(highlighted(r.match.text, r.match.highlight));
      const main = r.label && r.label.value !== r.match.text ? r.label.value : "";
      if (main) {
        const small = document.createElement("small");
        small.dir = "auto";
        small.textContent = " — " + main;
        li.append(small);
      }
      const slug = document.createElement("code");
      slug.textContent = r.slug;
      li.append(" ", slug);
      li.addEventListener("mousedown", (event) => { event.preventDefault(); go(li); });
      list.append(li);
    });
    list.hidden = results.length === 0;
    input.setAttribute("aria-expanded", results.length ? "true" : "false");
    list.dataset.count = String(results.length);
    active = -1;
  }

  function go(li) { window.location.assign(li.dataset.href); }

  async function lookup() {
    const q = input.value.trim();
    if (!q) { close(); return; }
    const mine = ++seq;
    try {
      const response = await fetch(input.dataset.api + "?" + new URLSearchParams({ q: q, limit: "8" }),
        { headers: { Accept: "application/json" } });
      if (mine !== seq) return;
      if (!response.ok) { close(); return; }
      const body = await response.json();
      if (mine === seq) {
        show(body.results || []);
        list.dataset.query = q;  // what the shown suggestions answer
      }
    } catch (error) {
      close();
    }
  }

  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(lookup, 150); });
  input.addEventListener("keydown", (event) => {
    const all = items();
    if (event.key === "ArrowDown" && all.length) { event.preventDefault(); mark((active + 1) % all.length); }
    else if (event.key === "ArrowUp" && all.length) { event.preventDefault(); mark((active - 1 + all.length) % all.length); }
    else if (event.key === "Enter" && active >= 0 && all[active]) { event.preventDefault(); go(all[active]); }
    else if (event.key === "Escape") { close(); }
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
})();

// SPARQL page: a Yasqe editor (vendored), one-click example queries, results as a table, downloads in every format.
(function () {
  "use strict";
  const form = document.getElementById("sparql-form");
  const textarea = document.getElementById("query");
  const status = document.getElementById("query-status");
  const table = document.getElementById("result-table");
  const text = document.getElementById("result-text");
  const summary = document.getElementById("result-summary");
  const formatSelect = document.getElementById("download-format");
  const download = document.getElementById("download-link");
  if (!form || !textarea) return;
  const base = form.dataset.base || "";
  const prefixes = JSON.parse(form.dataset.prefixes || "{}");
  let editor = null;

  // The endpoint predeclares the project's prefixes; the editor checks syntax on its own, so the queries it
  // shows declare the prefixes they use (and stay runnable on any other endpoint).
  function withPrefixes(q) {
    const declared = new Set(Array.from(q.matchAll(/PREFIX\s+([\w-]*):/gi), (m) => m[1]));
    const body = q.replace(/<[^>]*>|"[^"]*"|#[^\n]*/g, " ");
    const missing = Object.keys(prefixes).filter((p) => !declared.has(p) && new RegExp("(^|[^\\w])" + p + ":").test(body));
    return missing.map((p) => "PREFIX " + p + ": <" + prefixes[p] + ">\n").join("") + q;
  }
  textarea.value = withPrefixes(textarea.value);

  if (typeof Yasqe === "function") {
    const holder = document.createElement("div");
    holder.id = "yasqe";
    textarea.insertAdjacentElement("afterend", holder);
    textarea.hidden = true;
    editor = new Yasqe(holder, {
      value: textarea.value, persistenceId: null, showQueryButton: false, autocompleters: [],
      createShareableLink: null, consumeShareLink: null, resizeable: true, editorHeight: "280px",
      requestConfig: { endpoint: "/sparql", method: "POST" },   // never Yasqe's default (a public endpoint)
    });
    // Ctrl/Cmd-Enter runs the query here, with our own table, before Yasqe's own request code sees the key.
    holder.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
        event.preventDefault();
        event.stopPropagation();
        run();
      }
    }, true);
    editor.on("change", () => { textarea.value = editor.getValue(); updateDownload(); });
  }

  function query() { return editor ? editor.getValue() : textarea.value; }
  function setQuery(value) {
    const full = withPrefixes(value);
    if (editor) editor.setValue(full);
    textarea.value = full;
    updateDownload();
  }

  function queryForm(q) {
    const stripped = q.replace(/#[^\n]*/g, " ").replace(/(PREFIX|BASE)\s+[^\s]*\s*<[^>]*>/gi, " ");
    const m = /\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b/i.exec(stripped);
    return m ? m[1].toUpperCase() : "SELECT";
  }

  function updateDownload() {
    const graphForm = ["CONSTRUCT", "DESCRIBE"].includes(queryForm(query()));
    Array.from(formatSelect.options).forEach((o) => { o.disabled = (o.dataset.kind === "graph") !== graphForm; });
    if (formatSelect.selectedOptions[0] && formatSelect.selectedOptions[0].disabled) {
      const first = Array.from(formatSelect.options).find((o) => !o.disabled);
      if (first) formatSelect.value = first.value;
    }
    const format = formatSelect.value;
    download.href = "/sparql?" + new URLSearchParams({ query: query(), format: format });
    download.setAttribute("download", "result." + ({ turtle: "ttl", ntriples: "nt", rdfxml: "rdf" }[format] || format));
  }

  function termNode(term) {
    if (!term) return document.createTextNode("");
    if (term.type === "uri") {
      let href = null;
      if (base && term.value.startsWith(base + "concept/")) href = "/concept/" + term.value.slice(base.length + 8);
      else if (base && term.value.startsWith(base + "keyword/")) href = "/keyword/" + term.value.slice(base.length + 8);
      else if (/^https?:\/\//i.test(term.value)) href = term.value;   // never javascript: or data: links
      const code = document.createElement("code");
      code.textContent = term.value;
      if (!href) return code;
      const a = document.createElement("a");
      a.href = href;
      a.append(code);
      return a;
    }
    const span = document.createElement("span");
    span.textContent = term.value;
    if (term["xml:lang"]) {
      span.lang = term["xml:lang"];  // no dir of its own: the cell's dir="auto" takes the value's direction
      const tag = document.createElement("small");
      tag.dir = "ltr";
      tag.textContent = "@" + term["xml:lang"];
      const wrap = document.createElement("span");
      wrap.append(span, " ", tag);
      return wrap;
    }
    return span;
  }

  function renderSolutions(body) {
    const thead = table.tHead;
    const tbody = table.tBodies[0];
    thead.replaceChildren();
    tbody.replaceChildren();
    text.hidden = true;
    table.hidden = false;
    if (typeof body.boolean === "boolean") {
      summary.textContent = "ASK: " + body.boolean;
      table.dataset.rowCount = "1";
      const row = tbody.insertRow();
      row.insertCell().textContent = String(body.boolean);
      return;
    }
    const vars = body.head.vars;
    const headRow = thead.insertRow();
    vars.forEach((v) => { const th = document.createElement("th"); th.textContent = "?" + v; headRow.append(th); });
    body.results.bindings.forEach((binding) => {
      const row = tbody.insertRow();
      vars.forEach((v) => {
        const cell = row.insertCell();
        cell.dir = binding[v] && binding[v].type !== "uri" ? "auto" : "ltr";  // an Arabic value reads right to left
        cell.append(termNode(binding[v]));
      });
    });
    table.dataset.rowCount = String(body.results.bindings.length);
    summary.textContent = body.results.bindings.length + " rows";
  }

  function renderGraph(body, rows) {
    table.hidden = true;
    table.dataset.rowCount = String(rows);
    text.hidden = false;
    text.textContent = body;
    summary.textContent = rows + " triples (Turtle)";
  }

  async function run(event) {
    if (event) event.preventDefault();
    const q = query();
    const graphForm = ["CONSTRUCT", "DESCRIBE"].includes(queryForm(q));
    status.textContent = "running…";
    form.dataset.state = "running";
    try {
      const response = await fetch("/sparql", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded",
          Accept: graphForm ? "text/turtle" : "application/sparql-results+json" },
        body: new URLSearchParams({ query: q }),
      });
      if (!response.ok) {
        let detail = "HTTP " + response.status;
        try { const problem = await response.json(); detail = problem.title + ": " + problem.detail; } catch (e) { /* not JSON */ }
        throw new Error(detail);
      }
      const rows = response.headers.get("X-Result-Rows") || "?";
      if (graphForm) renderGraph(await response.text(), rows);
      else renderSolutions(await response.json());
      const truncated = response.headers.get("X-Result-Truncated") === "true";
      status.textContent = truncated ? "done (truncated at the row cap)" : "done";
      form.dataset.state = "done";
    } catch (error) {
      status.textContent = error.message;
      summary.textContent = "";
      form.dataset.state = "error";
    }
  }

  document.querySelectorAll("button.example").forEach((button) => {
    button.addEventListener("click", () => { setQuery(button.dataset.query); run(); });
  });
  formatSelect.addEventListener("change", updateDownload);
  form.addEventListener("submit", run);
  updateDownload();
})();

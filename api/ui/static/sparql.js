// The SPARQL page (/sparql for browsers): Yasqe (editor) and Yasr (results: a table to sort, filter and page, the
// raw response, downloads), vendored; the service description's example queries; every result format to download.
(function () {
  "use strict";
  const form = document.getElementById("sparql-form");
  const textarea = document.getElementById("query");
  const status = document.getElementById("query-status");
  const formatSelect = document.getElementById("download-format");
  const download = document.getElementById("download-link");
  const results = document.getElementById("yasr");
  if (!form || !textarea) return;
  const prefixes = JSON.parse(form.dataset.prefixes || "{}");
  let editor = null;
  let yasr = null;

  // The endpoint predeclares the project's prefixes; the editor checks syntax on its own, so the queries it
  // shows declare the prefixes they use (and stay runnable on any other endpoint).
  function withPrefixes(q) {
    const declared = new Set(Array.from(q.matchAll(/PREFIX\s+([\w-]*):/gi), (m) => m[1]));
    const body = q.replace(/<[^>]*>|"[^"]*"|#[^\n]*/g, " ");
    const missing = Object.keys(prefixes).filter((p) => !declared.has(p) && new RegExp("(^|[^\\w])" + p + ":").test(body));
    return missing.map((p) => "PREFIX " + p + ": <" + prefixes[p] + ">\n").join("") + q;
  }
  const shared = new URLSearchParams(location.hash.slice(1)).get("query");  // /query?query=… redirects here
  textarea.value = withPrefixes(shared || textarea.value);

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
    // Ctrl/Cmd-Enter runs the query here, before Yasqe's own request code sees the key.
    holder.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
        event.preventDefault();
        event.stopPropagation();
        run();
      }
    }, true);
    editor.on("change", () => { textarea.value = editor.getValue(); updateDownload(); });
  }
  if (typeof Yasr === "function" && results) {
    yasr = new Yasr(results, {
      persistenceId: null,            // no localStorage
      prefixes: prefixes,             // IRIs shown as prefixed names
      pluginOrder: ["table", "response"],
      defaultPlugin: "table",
      getPlainQueryLinkToEndpoint: () => "/sparql?" + new URLSearchParams({ query: query() }),
      getDownloadFileName: () => "result",
    });
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

  async function run(event) {
    if (event) event.preventDefault();
    const q = query();
    const graphForm = ["CONSTRUCT", "DESCRIBE"].includes(queryForm(q));
    status.textContent = "running…";
    form.dataset.state = "running";
    const started = performance.now();
    try {
      const response = await fetch("/sparql", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded",
          Accept: graphForm ? "text/turtle" : "application/sparql-results+json" },
        body: new URLSearchParams({ query: q }),
      });
      const body = await response.text();
      const contentType = (response.headers.get("Content-Type") || "").split(";")[0];
      const elapsed = Math.round(performance.now() - started);
      if (!response.ok) {
        let detail = "HTTP " + response.status;
        try { const problem = JSON.parse(body); detail = problem.title + ": " + problem.detail; } catch (e) { /* not JSON */ }
        if (yasr) yasr.setResponse({ status: response.status, statusText: detail, data: body, contentType: contentType,
                                     executionTime: elapsed }, elapsed);
        throw new Error(detail);
      }
      if (yasr) yasr.setResponse({ status: response.status, data: body, contentType: contentType, executionTime: elapsed },
                                 elapsed);
      const rows = response.headers.get("X-Result-Rows") || "?";
      const truncated = response.headers.get("X-Result-Truncated") === "true";
      results.dataset.rowCount = rows;
      status.textContent = rows + (graphForm ? " triples" : " rows") + (truncated ? " (truncated at the row cap)" : "");
      form.dataset.state = "done";
    } catch (error) {
      status.textContent = error.message;
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

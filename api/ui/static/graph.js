// Concept page: draws the concept's neighbourhood (from /api/concepts/{slug}/neighbours) with cytoscape.js.
// After each layout the container's data-node-count / data-edge-count say what is drawn; clicking a concept or
// keyword node opens its page.
(function () {
  "use strict";
  const container = document.getElementById("graph");
  const form = document.getElementById("graph-controls");
  const status = document.getElementById("graph-status");
  if (!container || !form || typeof cytoscape !== "function") return;
  let cy = null;
  let seq = 0;

  function pageOf(node) {
    if (node.type === "concept" || node.type === "keyword") {
      return "/" + node.type + "/" + encodeURIComponent(node.slug);
    }
    return "";
  }

  function elements(body) {
    const nodes = body.nodes.map((n) => ({
      group: "nodes",
      data: {
        id: n.id, label: n.label ? n.label.value : n.slug, slug: n.slug, type: n.type,
        kind: n.type === "concept" ? n.kind : n.type, distance: n.distance, href: pageOf(n),
      },
      classes: [n.type, n.type === "concept" ? n.kind : "", n.distance === 0 ? "self" : ""].join(" ").trim(),
    }));
    const edges = body.edges.map((e, i) => ({
      group: "edges",
      data: { id: "e" + i, source: e.source, target: e.target, relation: e.relation },
      classes: e.relation,
    }));
    return nodes.concat(edges);
  }

  const style = [
    { selector: "node", style: {
      "label": "data(label)", "font-family": "Noto Naskh Arabic, Amiri, Tahoma, DejaVu Sans, sans-serif",
      "font-size": 13, "min-zoomed-font-size": 6, "text-valign": "bottom", "text-margin-y": 4, "text-wrap": "ellipsis", "text-max-width": 140,
      "background-color": "#2f6f9f", "width": 18, "height": 18, "color": "#1d1d1d" } },
    { selector: "node.redlink", style: { "background-color": "#c0392b" } },
    { selector: "node.term", style: { "background-color": "#8e6bbf", "shape": "round-rectangle" } },
    { selector: "node.keyword", style: { "background-color": "#2e8b57", "shape": "diamond" } },
    { selector: "node.organization", style: { "background-color": "#999", "shape": "rectangle" } },
    { selector: "node.self", style: { "background-color": "#f39c12", "width": 28, "height": 28, "font-weight": "bold" } },
    { selector: "edge", style: {
      "width": 1.2, "line-color": "#aab", "target-arrow-color": "#aab", "target-arrow-shape": "triangle",
      "curve-style": "bezier", "arrow-scale": 0.8 } },
    { selector: "edge.hasKeyword", style: { "line-style": "dashed", "line-color": "#9c9", "target-arrow-color": "#9c9" } },
    { selector: "edge.definesTerm, edge.definedIn", style: { "line-style": "dotted" } },
  ];

  function params() {
    const data = new FormData(form);
    const relations = data.getAll("relation");
    const query = new URLSearchParams({ depth: data.get("depth"), direction: data.get("direction") });
    if (relations.length) query.set("relation", relations.join(","));
    query.set("limit", "300");
    query.set("lang", document.documentElement.lang || "ar");
    return query;
  }

  async function draw() {
    const mine = ++seq;
    container.dataset.state = "loading";
    status.textContent = "loading…";
    let body;
    try {
      const response = await fetch(container.dataset.api + "?" + params(), { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error("HTTP " + response.status);
      body = await response.json();
    } catch (error) {
      if (mine === seq) { status.textContent = "could not load the neighbourhood: " + error.message; container.dataset.state = "error"; }
      return;
    }
    if (mine !== seq) return;
    if (cy) cy.destroy();
    cy = cytoscape({
      container: container, elements: elements(body), style: style, wheelSensitivity: 0.3,
      layout: { name: "cose", animate: false, randomize: true, nodeRepulsion: 400000, idealEdgeLength: 110,
        nodeOverlap: 40, gravity: 60, padding: 30 },
    });
    container.cy = cy;
    const done = () => {
      container.dataset.nodeCount = String(cy.nodes().length);
      container.dataset.edgeCount = String(cy.edges().length);
      container.dataset.state = "ready";
      status.textContent = cy.nodes().length + " nodes, " + cy.edges().length + " edges" + (body.truncated ? " (truncated)" : "");
    };
    done();
    cy.on("tap", "node", (event) => {
      const href = event.target.data("href");
      if (href) window.location.assign(href);
    });
    cy.on("mouseover", "node", (event) => { container.style.cursor = event.target.data("href") ? "pointer" : "default"; });
    cy.on("mouseout", "node", () => { container.style.cursor = "default"; });
  }

  form.addEventListener("change", draw);
  form.addEventListener("submit", (event) => { event.preventDefault(); draw(); });
  draw();
})();

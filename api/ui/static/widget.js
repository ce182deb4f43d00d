// <mkg-related>: the related concepts of a marketing-kg concept, on any site. No dependency, no inline script,
// no eval, no inline style: styles are a constructed stylesheet adopted by the element's shadow root, which a
// Content-Security-Policy of `style-src 'self'` allows. On any error (unknown slug, service down, no CORS) the
// element renders nothing.
//
//   <script src="https://kg.example/widget.js" defer></script>
//   <mkg-related slug="viral-marketing" limit="5" lang="ar" href-template="https://site.example/{slug}"></mkg-related>
//
// Attributes: slug (required); limit (1-20, default 5); lang (label language, default ar); href-template (where
// a concept links, `{slug}` replaced; default: this service's concept page); heading (the list's title; an empty
// value shows none); api (the service's base URL; default: where this script was loaded from).
(function () {
  "use strict";
  if (!window.customElements || window.customElements.get("mkg-related")) return;
  const script = document.currentScript;
  const SERVICE = script && script.src ? new URL(".", script.src).href : new URL("/", document.baseURI).href;
  const HEADINGS = { ar: "مفاهيم ذات صلة", en: "Related concepts" };
  const RTL = /^(ar|fa|he|ur|ps|sd|ckb|ug|yi|dv)(-|$)/i;
  const CSS = `
    :host { display: block; font: inherit; color: inherit; }
    :host([hidden]) { display: none; }
    nav { border-inline-start: 3px solid #c7a100; padding-inline-start: 0.75em; }
    h2 { font-size: 1em; margin: 0 0 0.4em; }
    ul { list-style: none; margin: 0; padding: 0; }
    li { margin: 0.25em 0; }
    a { color: inherit; text-decoration: underline; text-underline-offset: 0.15em; }
    a:focus-visible { outline: 2px solid currentColor; outline-offset: 2px; }`;
  let sheet = null;
  try {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  } catch (error) {
    sheet = null; // no constructable stylesheets: the list stays unstyled, never an inline style
  }

  function target(template, slug) {
    const url = new URL(template.split("{slug}").join(encodeURIComponent(slug)), document.baseURI);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null; // never javascript: or data:
  }

  class MkgRelated extends HTMLElement {
    static get observedAttributes() { return ["slug", "limit", "lang", "href-template", "heading", "api"]; }

    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      if (sheet) this.shadowRoot.adoptedStyleSheets = [sheet];
      this.request = 0;
    }

    connectedCallback() { this.load(); }

    attributeChangedCallback() { if (this.isConnected) this.load(); }

    clear() {
      this.shadowRoot.replaceChildren();
      this.dataset.state = "empty";
    }

    async load() {
      const request = ++this.request;
      const slug = (this.getAttribute("slug") || "").trim();
      const limit = Math.min(20, Math.max(1, parseInt(this.getAttribute("limit") || "5", 10) || 5));
      const lang = (this.getAttribute("lang") || "ar").trim();
      if (!slug) { this.clear(); return; }
      this.dataset.state = "loading";
      const base = new URL(this.getAttribute("api") || SERVICE, document.baseURI);
      const url = new URL("api/concepts/" + encodeURIComponent(slug) + "/related", base.href.endsWith("/") ? base : base.href + "/");
      url.searchParams.set("limit", String(limit));
      url.searchParams.set("lang", lang);
      try {
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), 10000);
        const response = await fetch(url.href, { headers: { Accept: "application/json" }, credentials: "omit",
                                                 mode: "cors", signal: controller.signal });
        clearTimeout(timer);
        if (!response.ok) throw new Error("HTTP " + response.status);
        const body = await response.json();
        if (request === this.request) this.render(body.results || [], lang, base);
      } catch (error) {
        if (request === this.request) this.clear();
      }
    }

    render(results, lang, base) {
      const template = this.getAttribute("href-template");
      const items = [];
      for (const item of results) {
        if (!item || typeof item.slug !== "string") continue;
        const href = template ? target(template, item.slug) : new URL("concept/" + encodeURIComponent(item.slug), base).href;
        if (!href) continue;
        const label = item.label && typeof item.label.value === "string" ? item.label : { value: item.slug, lang: null };
        const li = document.createElement("li");
        li.setAttribute("part", "item");
        const a = document.createElement("a");
        a.href = href;
        a.textContent = label.value;
        a.setAttribute("part", "link");
        a.dataset.slug = item.slug;
        if (label.lang) a.lang = label.lang;
        a.dir = "auto";
        li.append(a);
        items.push(li);
      }
      if (!items.length) { this.clear(); return; }
      const nav = document.createElement("nav");
      nav.lang = lang;
      nav.dir = RTL.test(lang) ? "rtl" : "ltr";
      nav.setAttribute("part", "container");
      const title = this.hasAttribute("heading") ? this.getAttribute("heading") : (HEADINGS[lang.split("-")[0]] || HEADINGS.en);
      if (title) {
        const h2 = document.createElement("h2");
        h2.id = "title";
        h2.textContent = title;
        h2.setAttribute("part", "heading");
        nav.setAttribute("aria-labelledby", "title");
        nav.append(h2);
      } else {
        nav.setAttribute("aria-label", HEADINGS[lang.split("-")[0]] || HEADINGS.en);
      }
      const ul = document.createElement("ul");
      ul.setAttribute("role", "list"); // a list without bullets stays a list for screen readers
      ul.setAttribute("part", "list");
      ul.append(...items);
      nav.append(ul);
      this.shadowRoot.replaceChildren(nav);
      this.dataset.state = "ready";
    }
  }

  window.customElements.define("mkg-related", MkgRelated);
})();

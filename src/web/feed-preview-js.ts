/**
 * For browsers without XSLT (Chromium is removing it; see the README): the feed's XHTML
 * `<script>` loads this, and it builds the same page as /assets/feed.xsl from the feed's DOM.
 * Where XSLT still works, the transformed page replaces the feed before this script is reached,
 * so it never runs there. Text is only ever set with `textContent`: nothing from the feed
 * becomes markup.
 */
export const FEED_PREVIEW_JS = `"use strict";
(() => {
  if (typeof XSLTProcessor === "function") return;
  const XHTML = "http://www.w3.org/1999/xhtml";
  const ATOM = "http://www.w3.org/2005/Atom";
  const el = (name, attributes, ...children) => {
    const node = document.createElementNS(XHTML, name);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    node.append(...children.filter((child) => child !== null && child !== undefined));
    return node;
  };
  const render = () => {
    const root = document.documentElement;
    const atom = root.namespaceURI === ATOM && root.localName === "feed";
    const kids = (parent, name) =>
      [...parent.children].filter((c) => c.localName === name && (c.namespaceURI === ATOM) === atom);
    const raw = (parent, name) => (parent && kids(parent, name)[0]?.textContent) || "";
    // Atom titles are escaped HTML; an inert HTML document turns them back into text.
    const text = (parent, name) =>
      atom && name === "title"
        ? new DOMParser().parseFromString(raw(parent, name), "text/html").documentElement.textContent || ""
        : raw(parent, name);
    const link = (parent, rel) =>
      [...parent.children].find((c) => c.localName === "link" && c.namespaceURI === ATOM && (c.getAttribute("rel") || "alternate") === rel)?.getAttribute("href") || "";
    const channel = atom ? root : kids(root, "channel")[0];
    if (!channel) return;
    const title = text(channel, "title");
    const items = atom ? kids(root, "entry") : kids(channel, "item");
    const page = atom ? link(root, "alternate") : text(channel, "link");
    const stories = items.map((item) =>
      el("li", {},
        el("a", { href: atom ? link(item, "alternate") : text(item, "link") }, text(item, "title")),
        el("p", { class: "meta" }, text(item, atom ? "published" : "pubDate"))));
    // RFC 5005 archive pages, as the stylesheet links them.
    const older = link(channel, "prev-archive");
    const newer = link(channel, "next-archive");
    const history = older || newer
      ? el("nav", { class: "archive-links", "aria-label": "History" },
          newer ? el("a", { href: newer, rel: "next-archive" }, "Newer stories") : null,
          newer && older ? " · " : null,
          older ? el("a", { href: older, rel: "prev-archive" }, "Older stories") : null)
      : null;
    const html = el("html", { lang: root.getAttribute("xml:lang") || text(channel, "language") },
      el("head", {},
        el("meta", { name: "viewport", content: "width=device-width, initial-scale=1" }),
        el("title", {}, title + " (web feed)"),
        el("link", { rel: "stylesheet", href: "/assets/site.css" })),
      el("body", {},
        el("header", { class: "site-header" }, el("a", { href: "/" }, "Feeds")),
        el("main", { id: "content" },
          el("p", { class: "notice" }, el("strong", {}, "This is a web feed"),
            ", also known as an " + (atom ? "Atom" : "RSS") + " feed. Subscribe by copying the address from your browser's address bar into your feed reader, and new stories arrive there as they are published."),
          el("h1", {}, title),
          el("p", {}, text(channel, atom ? "subtitle" : "description")),
          el("section", { class: "subscribe", "aria-labelledby": "how" },
            el("h2", { id: "how" }, "How to subscribe"),
            el("p", {}, "Feed address to paste into a feed reader:"),
            el("p", {}, el("code", {}, location.href)),
            el("p", {}, "No feed reader? Visit ", el("a", { href: page }, "the feed's page"),
              " to read the stories on the web or to follow this feed from Mastodon and other fediverse servers.")),
          el("section", { "aria-labelledby": "latest" },
            el("h2", { id: "latest" }, "Latest stories"),
            el("ul", { class: "stories" }, ...stories), history))));
    document.replaceChild(html, root);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
`;

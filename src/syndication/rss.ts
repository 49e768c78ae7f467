import { type Extension, Feed, type Item } from "feed";
import { FEED_HISTORY_NAMESPACE, insertFirstChild, pagingMarkup } from "./archive-links.ts";
import { escapeHtml } from "./html.ts";
import { type EntryImage, type EntryModel, FEED_GENERATOR, type FeedModel } from "./model.ts";
import { withStylesheet } from "./stylesheet.ts";
import { addRootAttributes, XmlSlots } from "./xml.ts";

/**
 * Declared on `<rss>` by us: feed 6.0.0 declares `dc` (with `content`) only when some item has
 * content, `atom` only for a self or hub link, and knows nothing of `media`. `addRootAttributes`
 * skips those feed already wrote, so none is declared twice.
 */
const NAMESPACES = {
  "xmlns:atom": "http://www.w3.org/2005/Atom",
  "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
  "xmlns:dc": "http://purl.org/dc/elements/1.1/",
  "xmlns:media": "http://search.yahoo.com/mrss/",
};

/**
 * The lead image as Media RSS. Why not `<enclosure>`: RSS requires its `length` in bytes, which we
 * do not know without fetching the image, and the W3C feed validator reports `length="0"` (what
 * feed 6.0.0 writes) as an error (InvalidIntegerAttribute), best-practice advice notwithstanding.
 * `media:content` needs no size, takes a real MIME type and carries the alt text and credit.
 */
function mediaContent(image: EntryImage, slots: XmlSlots): Record<string, unknown> {
  const content: Record<string, unknown> = {
    _attributes: {
      url: slots.attribute(image.url),
      ...(image.type === null ? {} : { type: image.type }),
      medium: "image",
    },
  };
  if (image.alt !== "") {
    content["media:description"] = { _attributes: { type: "plain" }, _text: slots.text(image.alt) };
  }
  if (image.credit !== null) content["media:credit"] = { _text: slots.text(image.credit) };
  return content;
}

/**
 * One item. feed 6.0.0 copies each extension onto the item object by name (`item[name] = objects`),
 * which lets us replace what it gets wrong and add what it lacks.
 */
function rssItem(entry: EntryModel, slots: XmlSlots): Item {
  const extensions: Extension[] = [
    // feed writes isPermaLink="false" whenever `guid` or `id` is given, and otherwise uses the link,
    // which may be a canonical URL elsewhere. Ours is the article's own URL: a true permalink (a
    // live update's is an anchor in the article's page, not a page of its own).
    {
      name: "guid",
      objects: {
        _attributes: { isPermaLink: entry.permalink ? "true" : "false" },
        _text: slots.text(entry.id),
      },
    },
  ];
  if (entry.authors.length > 0) {
    // feed writes `<author>name</author>`, but RSS `author` must be an email address (a validator
    // error without one). `dc:creator` is the standard element for a name; one per author.
    // An array becomes repeated elements; feed's `Extension` type only admits objects.
    const creators = entry.authors.map((author) => slots.text(author.name));
    extensions.push({
      name: "dc:creator",
      objects: creators as unknown as Record<string, unknown>,
    });
  }
  if (entry.image !== null) {
    extensions.push({ name: "media:content", objects: mediaContent(entry.image, slots) });
    // Readers that take no `media:content` (or only thumbnails) still show the lead image.
    extensions.push({
      name: "media:thumbnail",
      objects: { _attributes: { url: slots.attribute(entry.image.url) } },
    });
  }
  if (entry.updated.getTime() > entry.published.getTime()) {
    // RSS items have only `pubDate` (the first publication, which feed writes from `published`);
    // a revised or corrected item says when it changed as Atom does, in the Atom namespace.
    extensions.push({ name: "atom:updated", objects: { _text: entry.updated.toISOString() } });
  }
  return {
    // Plain text, like `category` and `dc:creator`; feed would wrap it in CDATA.
    title: slots.cdata(entry.title),
    link: entry.link,
    date: entry.updated,
    published: entry.published,
    // RSS `description` is HTML: our plain-text summary is escaped into it.
    description: entry.summary === "" ? undefined : slots.cdata(escapeHtml(entry.summary)),
    content: slots.cdata(entry.contentHtml),
    category: entry.tags.map((tag) => ({ name: slots.text(tag) })),
    extensions,
  };
}

/** RSS 2.0 with content:encoded, dc:creator, Media RSS and an atom:link to itself. */
export function renderRss(model: FeedModel): string {
  const slots = new XmlSlots();
  const feed = new Feed({
    title: slots.text(model.title),
    description: slots.text(model.description),
    link: model.homePageUrl,
    language: slots.text(model.language),
    // Also `lastBuildDate`; without it feed would use the clock.
    updated: model.updated,
    generator: FEED_GENERATOR,
    feedLinks: { rss: model.rssUrl },
    hub: model.hubUrl ?? undefined,
    // RSS `<image>` (with the channel's title and link, as feed writes it).
    image: slots.text(model.iconUrl),
  });
  for (const entry of model.entries) feed.addItem(rssItem(entry, slots));
  const paged = insertFirstChild(feed.rss2(), "channel", pagingMarkup(model.paging, "rss"));
  const namespaces = model.paging?.archive
    ? { ...NAMESPACES, "xmlns:fh": FEED_HISTORY_NAMESPACE }
    : NAMESPACES;
  return withStylesheet(slots.fill(addRootAttributes(paged, namespaces)));
}

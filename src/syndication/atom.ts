import { Feed, type Item } from "feed";
import { FEED_HISTORY_NAMESPACE, insertFirstChild, pagingMarkup } from "./archive-links.ts";
import { escapeHtml } from "./html.ts";
import { imageMediaType } from "./media-type.ts";
import { type EntryModel, FEED_GENERATOR, type FeedModel } from "./model.ts";
import { withStylesheet } from "./stylesheet.ts";
import { addRootAttributes, XmlSlots } from "./xml.ts";

const MEDIA_NAMESPACE = "http://search.yahoo.com/mrss/";

function atomEntry(entry: EntryModel, slots: XmlSlots): Item {
  return {
    // feed declares title and summary `type="html"`, so plain text is HTML-escaped first.
    title: slots.cdata(escapeHtml(entry.title)),
    id: entry.id,
    link: entry.link,
    date: entry.updated,
    published: entry.published,
    description: entry.summary === "" ? undefined : slots.cdata(escapeHtml(entry.summary)),
    content: slots.cdata(entry.contentHtml),
    author:
      entry.authors.length === 0
        ? undefined
        : entry.authors.map((author) => ({
            name: slots.text(author.name),
            link: author.url ?? undefined,
          })),
    // feed writes a category's `name` as `label` and `term` only if given, but Atom requires `term`.
    // It also escapes `&` but not `<` in these attributes, hence the slot.
    category: entry.tags.map((tag) => ({ term: slots.attribute(tag) })),
    image:
      entry.image === null
        ? undefined
        : {
            url: entry.image.url,
            title: entry.image.alt === "" ? undefined : slots.attribute(entry.image.alt),
          },
  };
}

/**
 * feed 6.0.0 writes the entry's main link without `rel` (alternate by default in Atom, but we
 * state it) and gives enclosures `type="image/<extension>"` (`image/jpg`, or nonsense without an
 * extension). Runs on the skeleton, where every `<link` is feed's own markup.
 */
function fixLinks(skeleton: string): string {
  return skeleton
    .replaceAll('<link href="', '<link rel="alternate" href="')
    .replace(/<link rel="enclosure"[^>]*>/g, (link) => {
      const href = /\shref="([^"]*)"/.exec(link)?.[1] ?? "";
      const type = imageMediaType(href.replaceAll("&amp;", "&"));
      const withoutType = link.replace(/\stype="[^"]*"/, "");
      return type === null ? withoutType : withoutType.replace(/\s*\/?>$/, ` type="${type}"$&`);
    });
}

/**
 * Each entry's lead image also as `media:thumbnail` (Media RSS), which readers that ignore
 * enclosure links show as the entry's picture. feed 6.0.0 has no extensions for Atom entries, so
 * it goes into the skeleton, before each entry's `</entry>` (all feed's own markup), in order.
 */
function addThumbnails(skeleton: string, entries: readonly EntryModel[], slots: XmlSlots): string {
  let index = 0;
  return skeleton.replace(/\n?([ \t]*)<\/entry>/g, (close, indent: string) => {
    const image = entries[index++]?.image;
    if (!image) return close;
    return `\n${indent}    <media:thumbnail url="${slots.attribute(image.url)}"/>${close}`;
  });
}

/** Atom 1.0. */
export function renderAtom(model: FeedModel): string {
  const slots = new XmlSlots();
  const feed = new Feed({
    id: slots.text(model.homePageUrl),
    title: slots.text(model.title),
    description: model.description === "" ? undefined : slots.text(model.description),
    link: model.homePageUrl,
    feedLinks: { atom: model.atomUrl },
    hub: model.hubUrl ?? undefined,
    // Without it feed would use the clock.
    updated: model.updated,
    generator: FEED_GENERATOR,
    // Atom `logo` (wide) and `icon` (square).
    image: slots.text(model.imageUrl),
    favicon: slots.text(model.iconUrl),
    // Atom requires an author on the feed unless every entry has one; entries without authors
    // inherit this one.
    author: { name: slots.text(model.title), link: model.homePageUrl },
  });
  for (const entry of model.entries) feed.addItem(atomEntry(entry, slots));
  const linked = addThumbnails(fixLinks(feed.atom1()), model.entries, slots);
  // After fixLinks: these links already say their rel.
  const paged = insertFirstChild(linked, "feed", pagingMarkup(model.paging, "atom"));
  const skeleton = addRootAttributes(paged, {
    "xml:lang": slots.attribute(model.language),
    "xmlns:media": MEDIA_NAMESPACE,
    ...(model.paging?.archive ? { "xmlns:fh": FEED_HISTORY_NAMESPACE } : {}),
  });
  return withStylesheet(slots.fill(skeleton));
}

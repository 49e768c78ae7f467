import type { EntryModel, FeedModel } from "./model.ts";

/**
 * JSON Feed 1.1, built here: feed 6.0.0's `json1()` writes version 1 (a single `author`, no
 * `authors` or `language`). Undefined members are left out by `JSON.stringify`; the model's
 * strings are already clean, so the JSON carries no lone surrogates (which `JSON.stringify`
 * would escape as `\udXXX`, valid JSON but not valid Unicode).
 */
export const JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1";

function jsonItem(entry: EntryModel) {
  return {
    id: entry.id,
    // `url` is the item's permalink on this site; a canonical URL elsewhere is `external_url`.
    url: entry.id,
    external_url: entry.externalUrl ?? undefined,
    title: entry.title,
    content_html: entry.contentHtml,
    summary: entry.summary === "" ? undefined : entry.summary,
    image: entry.image?.url,
    date_published: entry.published.toISOString(),
    date_modified: entry.updated.toISOString(),
    authors:
      entry.authors.length === 0
        ? undefined
        : entry.authors.map((author) => ({ name: author.name, url: author.url ?? undefined })),
    tags: entry.tags.length === 0 ? undefined : entry.tags,
    language: entry.language === "" ? undefined : entry.language,
  };
}

export function renderJsonFeed(model: FeedModel): string {
  const document = {
    version: JSON_FEED_VERSION,
    title: model.title,
    home_page_url: model.homePageUrl,
    feed_url: model.jsonUrl,
    hubs: [{ type: "WebSub", url: model.hubUrl }],
    description: model.description === "" ? undefined : model.description,
    icon: model.iconUrl,
    favicon: model.iconUrl,
    // Items without authors inherit these, as in Atom.
    authors: [{ name: model.title, url: model.homePageUrl }],
    language: model.language === "" ? undefined : model.language,
    expired: model.expired ? true : undefined,
    items: model.entries.map(jsonItem),
  };
  return JSON.stringify(document, null, 2);
}

import type { EntryModel, FeedModel, FeedPaging } from "./model.ts";

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

/**
 * RFC 5005's links where JSON Feed has none (an extension: JSON Feed 1.1 lets a publisher add
 * members starting with `_`, `about` saying what they mean): whether this is an archive page,
 * the feed document, and the newer page (`next_url` being the older one).
 */
function archiveExtension(paging: FeedPaging) {
  return {
    about: "https://www.rfc-editor.org/rfc/rfc5005#section-4",
    archive: paging.archive,
    current: paging.current?.json,
    prev_archive: paging.prevArchive?.json,
    next_archive: paging.nextArchive?.json,
  };
}

export function renderJsonFeed(model: FeedModel): string {
  const { paging } = model;
  const document = {
    version: JSON_FEED_VERSION,
    title: model.title,
    home_page_url: model.homePageUrl,
    feed_url: model.jsonUrl,
    hubs: model.hubUrl === null ? undefined : [{ type: "WebSub", url: model.hubUrl }],
    description: model.description === "" ? undefined : model.description,
    icon: model.iconUrl,
    favicon: model.iconUrl,
    // Items without authors inherit these, as in Atom.
    authors: [{ name: model.title, url: model.homePageUrl }],
    language: model.language === "" ? undefined : model.language,
    expired: model.expired ? true : undefined,
    // JSON Feed 1.1 pagination: `next_url` leads to the older items (the next archive page).
    next_url: paging?.prevArchive?.json,
    _archive: paging ? archiveExtension(paging) : undefined,
    items: model.entries.map(jsonItem),
  };
  return JSON.stringify(document, null, 2);
}

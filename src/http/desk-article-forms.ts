import type { Article } from "../domain/article.ts";
import type { Feed } from "../domain/feed.ts";
import type { FormValues } from "./desk-forms.ts";
import { listField, optionalText, utcDateTime } from "./desk-forms.ts";

/**
 * The desk's forms as the admin API's JSON, so the API's schemas judge them and the same
 * commands store them. Empty optional fields are left out (or null, where the API clears).
 */
export function articleJsonOf(form: URLSearchParams) {
  const author = optionalText(form, "author");
  return {
    headline: form.get("headline") ?? "",
    standfirst: optionalText(form, "standfirst") ?? null,
    bodyHtml: form.get("bodyHtml") ?? "",
    authors: author ? [{ name: author }] : [],
    image: imageOf(form),
    tags: listField(form, "tags"),
    feeds: form.getAll("feeds"),
    publishedAt: utcDateTime(optionalText(form, "publishedAt")),
  };
}

/** The edit form: every field is sent, as a revision; an empty date keeps the stored one. */
export function articlePatchJsonOf(form: URLSearchParams) {
  return { ...articleJsonOf(form), correction: optionalText(form, "correction") };
}

export function liveUpdateJsonOf(form: URLSearchParams) {
  return {
    headline: optionalText(form, "headline") ?? null,
    bodyHtml: form.get("bodyHtml") ?? "",
  };
}

export function correctionJsonOf(form: URLSearchParams) {
  return { correction: form.get("correction") ?? "" };
}

/** The edit form filled with the stored story. */
export function articleFormValues(article: Article): FormValues {
  return {
    headline: article.headline,
    standfirst: article.standfirst ?? "",
    bodyHtml: article.bodyHtml,
    author: article.authors[0]?.name ?? "",
    imageUrl: article.image?.url ?? "",
    imageAlt: article.image?.alt ?? "",
    tags: article.tags.join(", "),
    feeds: article.feeds,
    publishedAt: "",
  };
}

export function feedJsonOf(form: URLSearchParams) {
  return {
    slug: form.get("slug") ?? "",
    kind: form.get("kind") ?? "story",
    title: form.get("title") ?? "",
    description: optionalText(form, "description"),
    language: optionalText(form, "language") ?? "en",
  };
}

export function feedPatchJsonOf(form: URLSearchParams) {
  const { slug: _slug, ...fields } = feedJsonOf(form);
  return { ...fields, status: form.get("status") ?? undefined };
}

export function feedFormValues(feed: Feed): FormValues {
  return {
    slug: feed.slug,
    kind: feed.kind,
    title: feed.title,
    description: feed.description,
    language: feed.language,
    status: feed.status,
  };
}

/** An image needs both fields: one alone is sent as is, for the schema to name the missing one. */
function imageOf(form: URLSearchParams) {
  const url = optionalText(form, "imageUrl");
  const alt = optionalText(form, "imageAlt");
  if (url === undefined && alt === undefined) return null;
  return { url: url ?? "", alt: alt ?? "" };
}

import { marked } from "marked";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { CliError } from "../errors.ts";
import { listOf } from "./text.ts";

const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/;

/**
 * Markdown with YAML front matter: the front matter's keys are the article's fields
 * (headline, standfirst, authors, image, tags, feeds, language, publishedAt, canonicalUrl,
 * externalId, pinned) and the Markdown body becomes `bodyHtml`. Without a `headline`, a leading
 * `# Heading` is used (and left out of the body).
 */
export function articleFromMarkdown(text: string, file: string): Record<string, unknown> {
  const match = FRONT_MATTER.exec(text);
  const fields = match ? frontMatter(match[1] ?? "", file) : {};
  let body = match ? text.slice(match[0].length) : text.replace(/^\uFEFF/, "");

  if (fields.headline === undefined) {
    const heading = /^\s*#[ \t]+(.+?)[ \t#]*(?:\r?\n|$)/.exec(body);
    if (heading?.[1]) {
      fields.headline = heading[1];
      body = body.slice(heading[0].length);
    }
  }
  if (body.trim() !== "" || fields.bodyHtml === undefined) {
    fields.bodyHtml = marked.parse(body, { async: false, gfm: true }).trim();
  }
  return normalize(fields);
}

function frontMatter(yaml: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseYaml(yaml);
  } catch (error) {
    const where =
      error instanceof YAMLParseError && error.linePos
        ? ` (front matter line ${error.linePos[0].line})`
        : "";
    const reason = (error as Error).message.split("\n")[0];
    throw new CliError(`${file}: the front matter is not valid YAML${where}: ${reason}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new CliError(`${file}: the front matter must be a map of article fields (key: value)`);
  }
  return { ...(value as Record<string, unknown>) };
}

/** Friendlier YAML: `tags: a, b`, `authors: [Jane Doe]`, dates without a time. */
function normalize(fields: Record<string, unknown>): Record<string, unknown> {
  const out = { ...fields };
  if (out.tags !== undefined) out.tags = listOf(out.tags);
  if (out.feeds !== undefined) out.feeds = listOf(out.feeds);
  if (typeof out.authors === "string") out.authors = [out.authors];
  if (Array.isArray(out.authors)) {
    out.authors = out.authors.map((author) =>
      typeof author === "string" ? { name: author } : author,
    );
  }
  if (out.publishedAt instanceof Date) out.publishedAt = out.publishedAt.toISOString();
  if (typeof out.publishedAt === "string" && /^\d{4}-\d{2}-\d{2}$/.test(out.publishedAt)) {
    out.publishedAt = `${out.publishedAt}T00:00:00Z`;
  }
  return out;
}

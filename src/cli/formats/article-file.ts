import { basename, extname } from "node:path";
import { CliError, UsageError } from "../errors.ts";
import { readTextFile } from "../files.ts";
import { articleFromJson } from "./json.ts";
import { articleFromMarkdown } from "./markdown.ts";
import { articleFromWire } from "./wire.ts";

export interface PushOverrides {
  /** `--feed`: replaces the file's feeds. */
  readonly feeds: readonly string[];
  readonly imageUrl?: string | undefined;
  readonly externalId?: string | undefined;
}

export type ArticleFormat = "json" | "markdown" | "wire";

/** Reads FILE as JSON (`.json`), Markdown (`.md`) or a wire story (`.txt`) and applies the flags. */
export async function loadArticleFile(
  file: string,
  overrides: PushOverrides,
  usage: string,
): Promise<{ article: Record<string, unknown>; format: ArticleFormat; warnings: string[] }> {
  const text = await readTextFile(file);
  const format = formatOf(file, text);

  if (format === "wire") {
    if (overrides.feeds.length === 0) {
      throw new UsageError("a wire story names no feeds: add --feed SLUG", usage);
    }
    const { article, warnings } = articleFromWire(text, {
      feeds: overrides.feeds,
      externalId: overrides.externalId ?? basename(file, extname(file)),
      imageUrl: overrides.imageUrl,
    });
    return { article, format, warnings };
  }

  const article = format === "json" ? articleFromJson(text, file) : articleFromMarkdown(text, file);
  if (overrides.feeds.length > 0) article.feeds = [...overrides.feeds];
  if (overrides.externalId !== undefined) article.externalId = overrides.externalId;
  if (overrides.imageUrl !== undefined) {
    const image = article.image;
    article.image = {
      ...(typeof image === "object" && image !== null ? image : {}),
      url: overrides.imageUrl,
    };
  }
  if (article.feeds === undefined) {
    throw new UsageError(`${file} names no feeds: add --feed SLUG (or feeds: in the file)`, usage);
  }
  return { article, format, warnings: [] };
}

function formatOf(file: string, text: string): ArticleFormat {
  const extension = extname(file).toLowerCase();
  if (extension === ".json") return "json";
  if ([".md", ".markdown", ".mdown"].includes(extension)) return "markdown";
  if ([".txt", ".wire", ""].includes(extension)) {
    const start = text.trimStart();
    if (extension === "" && start.startsWith("{")) return "json";
    if (extension === "" && start.startsWith("---")) return "markdown";
    return "wire";
  }
  throw new CliError(
    `cannot tell the format of ${file}: use .json (article JSON), .md (Markdown) or .txt (wire story)`,
  );
}

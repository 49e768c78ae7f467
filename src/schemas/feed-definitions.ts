import { type FeedInput, feedInput } from "./feed.schema.ts";

/** One `feeds/*.json` file as read from disk (or bundled). */
export interface FeedDefinitionFile {
  readonly name: string;
  readonly text: string;
}

export interface FeedDefinition {
  readonly file: string;
  readonly feed: FeedInput;
}

export class FeedDefinitionError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid feed definitions:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "FeedDefinitionError";
  }
}

/**
 * Validates every feed definition and reports all problems at once, each naming the file and
 * field. The file name must be the slug (`world.json` declares `"slug": "world"`), so a feed is
 * always found where its URL says.
 */
export function parseFeedDefinitions(files: readonly FeedDefinitionFile[]): FeedDefinition[] {
  const problems: string[] = [];
  const definitions: FeedDefinition[] = [];
  for (const { name, text } of files) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      problems.push(`${name}: not valid JSON (${(error as Error).message})`);
      continue;
    }
    const parsed = feedInput.safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field =
          issue.code === "unrecognized_keys" ? issue.keys.join(", ") : issue.path.join(".");
        problems.push(`${name}: ${field || "(file)"}: ${issue.message}`);
      }
      continue;
    }
    const expected = name.replace(/^.*\//, "").replace(/\.json$/, "");
    if (parsed.data.slug !== expected) {
      problems.push(`${name}: slug: must be "${expected}" to match the file name`);
      continue;
    }
    definitions.push({ file: name, feed: parsed.data });
  }
  if (problems.length > 0) throw new FeedDefinitionError(problems);
  return definitions;
}

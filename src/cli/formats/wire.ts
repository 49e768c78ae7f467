import { parseWireStory, wireStoryToArticleJson } from "../../content/wire-story.ts";

/** The agencies' plain-text wire format (see src/content/wire-story.ts). */
export function articleFromWire(
  text: string,
  options: { feeds: readonly string[]; externalId: string; imageUrl?: string | undefined },
): { article: Record<string, unknown>; warnings: string[] } {
  const story = parseWireStory(text);
  const article = wireStoryToArticleJson(story, {
    feeds: options.feeds,
    externalId: options.externalId,
    ...(options.imageUrl ? { imageUrl: options.imageUrl } : {}),
  });
  const warnings: string[] = [];
  if (story.photo && !options.imageUrl) {
    warnings.push(
      `the story's photo caption and credit (${story.photo.credit}) were dropped: ` +
        "an image needs a URL, pass --image-url URL to keep them",
    );
  }
  if (!story.photo && options.imageUrl) {
    warnings.push("--image-url was ignored: the story has no photo caption to go with it");
  }
  if (!story.date) warnings.push("no dateline (• dd/mm/yyyy) found: the article is dated now");
  return { article, warnings };
}

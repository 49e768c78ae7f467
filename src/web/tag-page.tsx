import type { Article } from "../domain/article.ts";
import { FEED_FORMATS, tagDocumentUrl, tagPageUrl } from "../domain/urls.ts";
import { FORMAT_NAMES } from "./format.ts";
import { Layout } from "./layout.tsx";
import { StoryItem } from "./story-item.tsx";

export interface TagPageProps {
  /** As the hashtag spells it, e.g. `#UnitedStates`. */
  readonly title: string;
  readonly tag: string;
  readonly language: string;
  readonly articles: readonly Article[];
  readonly publicUrl: string;
  readonly siteName: string;
}

/** `/tags/{tag}`: the stories with a tag, from every feed, and its own feeds. */
export function TagPage(props: TagPageProps) {
  const { tag, publicUrl } = props;
  const head = {
    title: props.title,
    lang: props.language,
    description: `Stories tagged ${props.title}`,
    canonical: tagPageUrl(publicUrl, tag),
    alternates: FEED_FORMATS.map((format) => ({
      type:
        format === "rss"
          ? "application/rss+xml"
          : format === "atom"
            ? "application/atom+xml"
            : "application/feed+json",
      title: `${props.title} (${FORMAT_NAMES[format]})`,
      href: tagDocumentUrl(publicUrl, tag, format),
    })),
    siteName: props.siteName,
    publicUrl,
  };
  return (
    <Layout head={head}>
      <header>
        <h1>{props.title}</h1>
      </header>
      <section class="subscribe" aria-labelledby="subscribe">
        <h2 id="subscribe">Subscribe</h2>
        <ul class="formats">
          {FEED_FORMATS.map((format) => (
            <li>
              <a href={tagDocumentUrl(publicUrl, tag, format)}>{FORMAT_NAMES[format]}</a>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="latest">
        <h2 id="latest">Latest stories</h2>
        <ul class="stories">
          {props.articles.map((article) => (
            <StoryItem publicUrl={publicUrl} article={article} withStandfirst />
          ))}
        </ul>
      </section>
    </Layout>
  );
}

import { articleUrl } from "../domain/urls.ts";
import { readableDate } from "./format.ts";

interface StoryItemProps {
  readonly publicUrl: string;
  readonly article: {
    readonly id: string;
    readonly headline: string;
    readonly standfirst?: string | null;
    readonly publishedAt: Date;
  };
  /** Feed pages show the standfirst; the front page's short lists do not. */
  readonly withStandfirst?: boolean;
}

/** One headline in a list of stories: link, optional standfirst, date. */
export function StoryItem({ publicUrl, article, withStandfirst = false }: StoryItemProps) {
  return (
    <li>
      <a href={articleUrl(publicUrl, article.id)}>{article.headline}</a>
      {withStandfirst && article.standfirst ? <p>{article.standfirst}</p> : null}
      <p class="meta">
        <time datetime={article.publishedAt.toISOString()}>
          {readableDate(article.publishedAt)}
        </time>
      </p>
    </li>
  );
}

import type { Article } from "../../domain/article.ts";
import type { Feed } from "../../domain/feed.ts";
import type { FeedFollowers } from "../../storage/views/desk.view.ts";
import { readableDate } from "../format.ts";
import { DayChart } from "./day-chart.tsx";
import { type DeliveryCounts, DeliveryHealth } from "./delivery-health.tsx";
import { type DeskChrome, DeskLayout } from "./desk-layout.tsx";

export interface OverviewProps {
  readonly chrome: DeskChrome;
  readonly feeds: readonly Feed[];
  readonly followers: readonly FeedFollowers[];
  readonly latest: readonly Article[];
  /** The latest published story's delivery; absent without stories or read models. */
  readonly lastPublish?: { readonly article: Article; readonly counts: DeliveryCounts } | undefined;
}

/** `/desk`: the last publish's delivery, the latest stories, each feed's followers (30 days). */
export function OverviewPage(props: OverviewProps) {
  const followersOf = (slug: string) => props.followers.find((f) => f.feedSlug === slug);
  return (
    <DeskLayout title="Overview" chrome={{ ...props.chrome, section: "overview" }}>
      <h1>Overview</h1>
      {props.lastPublish ? (
        <div class="last-publish">
          <p class="meta">
            Last publish:{" "}
            <a href={`/desk/stories/${props.lastPublish.article.id}`}>
              {props.lastPublish.article.headline}
            </a>
          </p>
          <DeliveryHealth
            counts={props.lastPublish.counts}
            articleId={props.lastPublish.article.id}
          />
        </div>
      ) : null}
      <section aria-labelledby="latest-heading">
        <h2 id="latest-heading">Latest stories</h2>
        {props.latest.length === 0 ? (
          <p>
            No stories yet: <a href="/desk/compose">compose one</a>.
          </p>
        ) : (
          <ul class="stories desk-stories">
            {props.latest.map((article) => (
              <li>
                <a href={`/desk/stories/${article.id}`}>{article.headline}</a>
                <p class="meta">
                  {article.deletedAt ? "Deleted · " : ""}
                  {readableDate(article.publishedAt)} · {article.feeds.join(", ")}
                </p>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="feeds-heading">
        <h2 id="feeds-heading">Feeds</h2>
        <ul class="feed-grid">
          {props.feeds.map((feed) => {
            const followers = followersOf(feed.slug);
            return (
              <li class="feed-tile">
                <h3>
                  {feed.title} <span class="badge">{feed.status}</span>
                </h3>
                <p class="meta">{countOf(followers?.followers ?? 0, "follower")}</p>
                {followers ? (
                  <DayChart
                    title={`Followers of ${feed.title}, last 30 days`}
                    series={[{ label: "Followers", className: "s1", points: followers.history }]}
                  />
                ) : null}
              </li>
            );
          })}
        </ul>
      </section>
    </DeskLayout>
  );
}

/** "1 follower", "3 followers". */
export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

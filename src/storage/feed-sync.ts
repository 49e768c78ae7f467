import { type Kysely, sql } from "kysely";
import type { FeedDefinition } from "../schemas/feed-definitions.ts";
import type { Database } from "./schema.ts";

/**
 * Brings the declared feeds into the database. A new file creates its feed; a changed file
 * updates it; an unchanged file leaves alone any edits made through the admin API since.
 * Returns the slugs that were created or updated.
 *
 * A file whose slug is a renamed feed's old slug is skipped (`onRenamed` is told): the rename
 * made through the admin API wins over a file nobody updated, which would otherwise bring back
 * a second feed under the old name (docs/adr/0006-feed-renames.md). Rename the file to apply
 * its edits again.
 */
export async function syncFeedDefinitions(
  db: Kysely<Database>,
  definitions: readonly FeedDefinition[],
  now: Date,
  onRenamed?: (slug: string, feedSlug: string) => void,
): Promise<string[]> {
  const changed: string[] = [];
  await db.transaction().execute(async (trx) => {
    for (const { feed } of definitions) {
      const alias = await trx
        .selectFrom("feedAliases")
        .select("feedSlug")
        .where("slug", "=", feed.slug)
        .executeTakeFirst();
      if (alias) {
        onRenamed?.(feed.slug, alias.feedSlug);
        continue;
      }
      const definitionHash = await hashDefinition(feed);
      const row = await trx
        .insertInto("feeds")
        .values({
          ...feed,
          definitionHash,
          closedAt: feed.status === "closed" ? now : null,
          createdAt: now,
          updatedAt: now,
        })
        .onConflict((oc) =>
          oc
            .column("slug")
            .doUpdateSet((eb) => ({
              kind: eb.ref("excluded.kind"),
              title: eb.ref("excluded.title"),
              description: eb.ref("excluded.description"),
              language: eb.ref("excluded.language"),
              status: eb.ref("excluded.status"),
              iconUrl: eb.ref("excluded.iconUrl"),
              imageUrl: eb.ref("excluded.imageUrl"),
              actorType: eb.ref("excluded.actorType"),
              objectType: eb.ref("excluded.objectType"),
              quotePolicy: eb.ref("excluded.quotePolicy"),
              definitionHash: eb.ref("excluded.definitionHash"),
              // A file that closes the story dates it now; one already closed keeps its date.
              closedAt: sql<Date | null>`case when excluded.status = 'closed' then coalesce(feeds.closed_at, excluded.closed_at) end`,
              updatedAt: eb.ref("excluded.updatedAt"),
            }))
            .where("feeds.definitionHash", "is distinct from", definitionHash),
        )
        .returning("slug")
        .executeTakeFirst();
      if (row) changed.push(row.slug);
    }
  });
  return changed;
}

async function hashDefinition(feed: FeedDefinition["feed"]): Promise<string> {
  const canonical = JSON.stringify(feed, Object.keys(feed).sort());
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

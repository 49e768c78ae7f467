import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { createApp } from "../../../src/app.ts";
import { createDeps } from "../../../src/deps.ts";
import { silentLogger } from "../../../src/logger.ts";
import type { ArticleOutput } from "../../../src/schemas/article.schema.ts";
import { parseFeedDefinitions } from "../../../src/schemas/feed-definitions.ts";
import { syncFeedDefinitions } from "../../../src/storage/feed-sync.ts";
import { createInteractionRepository } from "../../../src/storage/interaction-repository.ts";
import { createStores } from "../../../src/storage/stores.ts";
import { createTestDatabase, type TestDatabase } from "../../support/databases.ts";
import { fixtureStoryPush } from "../../support/fixture-push.ts";
import { ADMIN_TOKEN, adminRequest, shippedFeedFiles } from "../../support/test-app.ts";

export interface ReaderServer {
  readonly url: string;
  /** The fixture story, with likes, a boost and replies (one of them hostile). */
  readonly story: ArticleOutput;
  /** A deleted article: its page answers 410. */
  readonly removed: ArticleOutput;
  /** Revised with a public correction, and revised again silently: a history to show. */
  readonly corrected: ArticleOutput;
  /** An authenticated admin API request through the app (pushes while a page is open). */
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The real app on a loopback port over PGlite, seeded through the admin API with the shared
 * fixture story. `PUBLIC_URL` is the loopback URL itself, so every link on the pages works.
 */
export async function startReaderServer(
  options: { livePollSeconds?: number } = {},
): Promise<ReaderServer> {
  const database: TestDatabase = await createTestDatabase("pglite");
  await syncFeedDefinitions(
    database.db,
    parseFeedDefinitions(await shippedFeedFiles()),
    new Date(),
  );
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve) => {
    // Port 0: the kernel picks a free port, so no race with other tests.
    server = serve(
      { fetch: (request) => app.fetch(request), port: 0, hostname: "127.0.0.1" },
      (info: AddressInfo) => resolve(info.port),
    );
  });
  const url = `http://127.0.0.1:${port}`;
  const deps = createDeps({
    config: {
      publicUrl: url,
      adminToken: ADMIN_TOKEN,
      maxBodyBytes: 1 << 20,
      feedItemLimit: 50,
      ...(options.livePollSeconds ? { livePollSeconds: options.livePollSeconds } : {}),
    },
    stores: createStores(database.db),
    logger: silentLogger,
  });
  const app = createApp(deps);

  const admin = (method: string, path: string, body?: unknown) =>
    adminRequest(app, method, path, body);
  const push = async (body: unknown): Promise<ArticleOutput> => {
    const response = await admin("POST", "/admin/articles", body);
    if (response.status !== 201) throw new Error(`seeding failed: ${await response.text()}`);
    return (await response.json()) as ArticleOutput;
  };
  await push({
    headline: "Geneva talks to resume next week, US & Russian diplomats say",
    standfirst: "Envoys expect a first round before the end of the month.",
    bodyHtml: "<p>Talks between the parties are expected to resume in Geneva.</p>",
    feeds: ["world"],
    publishedAt: "2016-07-19T08:00:00Z",
  });
  const story = await push({
    ...fixtureStoryPush(),
    authors: [
      {
        name: "BBC News",
        url: "https://www.bbc.co.uk/news",
        fediverseHandle: "@bbc@social.example",
      },
    ],
  });
  const removed = await push({
    headline: "Withdrawn story",
    bodyHtml: "<p>x</p>",
    feeds: ["world"],
  });
  await admin("DELETE", `/admin/articles/${removed.id}`);

  const corrected = await push({
    headline: "Kerry and Lavrov meet in Geneva",
    standfirst: "Talks on Syria.",
    bodyHtml: "<p>The talks took place in Geneva.</p><p>Both sides spoke of progress.</p>",
    feeds: ["world"],
    publishedAt: "2016-07-20T06:00:00Z",
  });
  for (const change of [
    {
      headline: "Kerry and Lavrov meet in Moscow",
      bodyHtml: "<p>The talks took place in Moscow.</p><p>Both sides spoke of progress.</p>",
      correction: "An earlier version of this story said the talks were in Geneva.",
    },
    { standfirst: "Talks on the war in Syria." },
  ]) {
    const response = await app.request(`/admin/articles/${corrected.id}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(change),
    });
    if (response.status !== 200) throw new Error(`seeding failed: ${await response.text()}`);
  }

  const interactions = createInteractionRepository(database.db);
  const at = new Date("2016-07-20T12:00:00Z");
  for (const [kind, actor] of [
    ["like", "https://a.example/users/ann"],
    ["like", "https://b.example/users/bob"],
    ["announce", "https://a.example/users/ann"],
  ] as const) {
    await interactions.add(story.id, kind, actor, `${actor}/activities/${kind}`, at);
  }
  await interactions.addReply(
    {
      id: "https://a.example/notes/1",
      articleId: story.id,
      actorId: "https://a.example/users/ann",
      url: "https://a.example/@ann/1",
      contentHtml: "<p>Thanks for the clear summary of where the talks stand.</p>",
      publishedAt: at,
    },
    at,
  );
  // Stored raw: the page must neither run it nor show it as markup.
  await interactions.addReply(
    {
      id: "https://evil.example/notes/1",
      articleId: story.id,
      actorId: "https://evil.example/users/mallory",
      url: "https://evil.example/@mallory/1",
      contentHtml:
        '<p>Hello<script>window.pwned = true</script><img src="x" onerror="window.pwned = true"></p>',
      publishedAt: new Date(at.getTime() + 60_000),
    },
    at,
  );

  return {
    url,
    story,
    removed,
    corrected,
    admin,
    async close() {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await database.destroy();
    },
  };
}

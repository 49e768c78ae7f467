import {
  type ArticleDeliveriesJson,
  clientFromOptions,
  type RemoteServerJson,
  type ServerDeliveryJson,
} from "../api-client.ts";
import { COMMON_USAGE, expectPositionals, parseCommandArgs, positiveInteger } from "../args.ts";
import type { Command } from "../command.ts";
import { table } from "../output.ts";

const DELIVERIES_USAGE = `Usage: tidings deliveries ARTICLE_ID [--revision N] [--state STATE] [--limit N] [--json]

Shows what became of an article's publish at each remote server: delivered, failed (with the
last status and attempts) or pending.

Options:
  --revision N   that revision's publish (default: the latest recorded)
  --state STATE  only servers in this state: delivered, failed or pending
  --limit N      at most N servers (default 100)

${COMMON_USAGE}`;

const SERVERS_USAGE = `Usage: tidings servers [--failing] [--limit N] [--json]

Lists the remote servers deliveries go to: followers, last success, failing deliveries and
the circuit breaker's state.

Options:
  --failing   only servers failing now (last attempt failed, or circuit not closed)
  --limit N   at most N servers (default 100)

${COMMON_USAGE}`;

/** Pages of `path` until `limit` items (the API gives at most 200 at once). */
async function collect<T, P extends { items: T[]; nextCursor: string | null }>(
  get: (query: Record<string, string | number | undefined>) => Promise<P>,
  query: Record<string, string | number | undefined>,
  limit: number,
): Promise<{ first: P; items: T[]; more: boolean }> {
  const items: T[] = [];
  let first: P | undefined;
  let cursor: string | undefined;
  let next: string | null = null;
  do {
    const page = await get({ ...query, limit: Math.min(200, limit - items.length), cursor });
    first ??= page;
    items.push(...page.items);
    next = page.nextCursor;
    cursor = next ?? undefined;
  } while (cursor !== undefined && items.length < limit);
  return { first: first as P, items, more: next !== null };
}

export const deliveriesCommand: Command = {
  name: "deliveries",
  synopsis: "deliveries ARTICLE_ID",
  summary: "show an article's delivery to each remote server",
  usage: DELIVERIES_USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(
      args,
      { revision: { type: "string" }, state: { type: "string" }, limit: { type: "string" } },
      DELIVERIES_USAGE,
    );
    if (values.help) {
      out.line(DELIVERIES_USAGE);
      return 0;
    }
    const [id = ""] = expectPositionals(positionals, ["ARTICLE_ID"], DELIVERIES_USAGE);
    const limit = positiveInteger(values.limit, "limit", DELIVERIES_USAGE) ?? 100;
    const revision = positiveInteger(values.revision, "revision", DELIVERIES_USAGE);
    const client = clientFromOptions(values, env);
    const path = `/admin/articles/${encodeURIComponent(id)}/deliveries`;
    const { first, items, more } = await collect<ServerDeliveryJson, ArticleDeliveriesJson>(
      async (query) => (await client.get<ArticleDeliveriesJson>(path, query)).body,
      { revision, state: values.state },
      limit,
    );
    if (values.json) {
      out.json({ ...first, items, nextCursor: more ? first.nextCursor : null });
      return 0;
    }
    const { delivered, failed, pending, servers } = first;
    out.line(
      first.revision === null
        ? `Article ${id}: no deliveries recorded`
        : `Article ${id}, revision ${first.revision}: ${delivered} delivered, ${failed} failed, ${pending} pending of ${servers} server${servers === 1 ? "" : "s"}`,
    );
    if (items.length === 0) return 0;
    const rows = items.map((d) => [
      d.host,
      d.state,
      d.lastStatus ?? "-",
      String(d.attempts),
      d.lastAttemptAt ?? "-",
    ]);
    for (const line of table([["SERVER", "STATE", "LAST", "ATTEMPTS", "AT"], ...rows])) {
      out.line(`  ${line}`);
    }
    if (more) out.line("  (more: raise --limit)");
    return 0;
  },
};

export const serversCommand: Command = {
  name: "servers",
  synopsis: "servers [--failing]",
  summary: "list remote servers and their delivery health",
  usage: SERVERS_USAGE,
  async run(args, { out, env }) {
    const { values } = parseCommandArgs(
      args,
      { failing: { type: "boolean" }, limit: { type: "string" } },
      SERVERS_USAGE,
    );
    if (values.help) {
      out.line(SERVERS_USAGE);
      return 0;
    }
    const limit = positiveInteger(values.limit, "limit", SERVERS_USAGE) ?? 100;
    const client = clientFromOptions(values, env);
    type Page = { items: RemoteServerJson[]; nextCursor: string | null };
    const { items, more } = await collect<RemoteServerJson, Page>(
      async (query) => (await client.get<Page>("/admin/servers", query)).body,
      { failing: values.failing ? 1 : undefined },
      limit,
    );
    if (values.json) {
      out.json({ items });
      return 0;
    }
    out.line(
      `${items.length}${more ? "+" : ""} ${values.failing ? "failing " : ""}server${items.length === 1 ? "" : "s"}`,
    );
    if (items.length === 0) return 0;
    const rows = items.map((s) => [
      s.host,
      String(s.followers),
      s.lastSuccessAt ?? "-",
      s.lastStatus ?? "-",
      String(s.failures),
      s.circuit ?? "-",
    ]);
    for (const line of table([
      ["SERVER", "FOLLOWERS", "LAST SUCCESS", "LAST", "FAILING", "CIRCUIT"],
      ...rows,
    ])) {
      out.line(`  ${line}`);
    }
    if (more) out.line("  (more: raise --limit)");
    return 0;
  },
};

import { sql } from "kysely";
import { decodeKeyset } from "../../domain/cursor.ts";
import { encodeKey } from "../../fedify-kysely/index.ts";
import type { Db } from "../database.ts";
import { keysetPage } from "../keyset-page.ts";

/**
 * What became of a publish at one remote server: `delivered` (every inbox there took it),
 * `failed` (the last attempt failed and is being retried, or an inbox was given up), `pending`
 * (queued, not yet answered).
 */
export type DeliveryState = "delivered" | "failed" | "pending";

/** One remote server's part in one publish (an article's revision, over all its feeds). */
export interface ServerDelivery {
  readonly host: string;
  readonly state: DeliveryState;
  /** The latest attempt's HTTP status ("202", "503") or "timeout" / "error"; null: none yet. */
  readonly lastStatus: string | null;
  readonly attempts: number;
  readonly lastAttemptAt: Date | null;
  /** Inboxes there the activities were queued for, and how many took them / were given up. */
  readonly inboxes: number;
  readonly delivered: number;
  readonly givenUp: number;
}

/** Servers of one publish by state: `servers` is their number. */
export interface DeliverySummary {
  readonly articleId: string;
  /** The article revision whose delivery this is; null: nothing was recorded for the article. */
  readonly revision: number | null;
  readonly delivered: number;
  readonly failed: number;
  readonly pending: number;
  readonly servers: number;
}

export interface ArticleDeliveriesPage {
  readonly summary: DeliverySummary;
  /** By host name. */
  readonly items: readonly ServerDelivery[];
  /** Cursor of the next page, or null on the last page. */
  readonly nextCursor: string | null;
}

export interface DeliveryPageOptions {
  /** Default: the latest revision of the article with a record. */
  readonly revision?: number | undefined;
  readonly state?: DeliveryState | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export type ArticleDeliveriesResult =
  | { readonly ok: true; readonly value: ArticleDeliveriesPage }
  | { readonly ok: false; readonly error: "article-not-found" | "invalid-cursor" };

/**
 * A remote server as deliveries see it: its followers (of any feed), when it last took an
 * activity, how many recorded deliveries to it are failing, and Fedify's circuit breaker state.
 */
export interface RemoteServer {
  readonly host: string;
  readonly followers: number;
  readonly lastSuccessAt: Date | null;
  readonly lastFailureAt: Date | null;
  readonly lastStatus: string | null;
  /** Recorded activities whose delivery there is failing (retried, or given up). */
  readonly failures: number;
  /** Fedify's circuit breaker: "open" / "half-open" hold deliveries back; null: healthy. */
  readonly circuit: "open" | "half-open" | "closed" | null;
  /** The last attempt failed, or the circuit is not closed. */
  readonly failing: boolean;
}

export interface RemoteServerOptions {
  /** Only servers whose last attempt failed or whose circuit holds deliveries back. */
  readonly failing?: boolean | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export type RemoteServersResult =
  | {
      readonly ok: true;
      readonly value: {
        readonly items: readonly RemoteServer[];
        readonly nextCursor: string | null;
      };
    }
  | { readonly ok: false; readonly error: "invalid-cursor" };

/** Fedify's circuit-breaker key of a host, up to the host (see federation/fedify-internals.ts). */
const CIRCUIT_KEY_PREFIX = encodeKey(["_fedify", "circuit"]);

/** A row's state: the SQL of `DeliveryState` for one activity at one host. */
const ROW_FAILED = sql`(r.delivered < r.inboxes and (r.given_up > 0 or (r.last_failure_at is not null
  and r.last_failure_at >= coalesce(r.last_success_at, r.last_failure_at))))`;
const ROW_DONE = sql`(r.delivered >= r.inboxes)`;

/** Hosts sort by name: the cursor carries the last host (the instant is unused). */
const hostKey = (item: { readonly host: string }) => ({ at: new Date(0), key: item.host });

/**
 * The delivery record's read side (migrations/0019): one publish per server for the admin API,
 * the CLI and the desk, and every remote server with its health.
 */
export function createDeliveryRecordView(db: Db) {
  /** Per host, one publish: the rows of its activities (one per feed) folded together. */
  const perHost = (articleId: string, revision: number) => sql`
    select r.host,
      case when bool_or(${ROW_FAILED}) then 'failed' when bool_and(${ROW_DONE}) then 'delivered'
        else 'pending' end as state,
      (array_agg(r.last_status order by r.last_attempt_at desc nulls last))[1] as last_status,
      sum(r.attempts)::int as attempts, max(r.last_attempt_at) as last_attempt_at,
      sum(r.inboxes)::int as inboxes, sum(r.delivered)::int as delivered,
      sum(r.given_up)::int as given_up
    from delivery_records r
    where r.article_id = ${articleId} and r.revision = ${revision}
    group by r.host`;

  async function latestRevision(articleId: string): Promise<number | null> {
    const row = await db
      .selectFrom("deliveryRecords")
      .select((eb) => eb.fn.max("revision").as("revision"))
      .where("articleId", "=", articleId)
      .executeTakeFirst();
    return row?.revision ?? null;
  }

  async function summaryOf(articleId: string, revision: number | null): Promise<DeliverySummary> {
    const counts = { delivered: 0, failed: 0, pending: 0 };
    if (revision !== null) {
      const { rows } = await sql<{ state: DeliveryState; n: number }>`
        select h.state, count(*)::int as n from (${perHost(articleId, revision)}) h group by h.state
      `.execute(db);
      for (const row of rows) counts[row.state] = Number(row.n);
    }
    const servers = counts.delivered + counts.failed + counts.pending;
    return { articleId, revision, ...counts, servers };
  }

  async function articleExists(articleId: string): Promise<boolean> {
    const row = await db
      .selectFrom("articles")
      .select("id")
      .where("id", "=", articleId)
      .executeTakeFirst();
    return row !== undefined;
  }

  return {
    /** Servers of the publish by state; revision: default the latest with a record. */
    async deliverySummary(articleId: string, revision?: number): Promise<DeliverySummary> {
      return summaryOf(articleId, revision ?? (await latestRevision(articleId)));
    },

    /** One page of a publish's servers, by host name, with the summary. */
    async deliveriesForArticle(
      articleId: string,
      page: DeliveryPageOptions,
    ): Promise<ArticleDeliveriesResult> {
      const after = page.cursor === undefined ? null : decodeKeyset(page.cursor);
      if (after === undefined) return { ok: false, error: "invalid-cursor" };
      if (!(await articleExists(articleId))) return { ok: false, error: "article-not-found" };
      const revision = page.revision ?? (await latestRevision(articleId));
      const summary = await summaryOf(articleId, revision);
      if (revision === null) return { ok: true, value: { summary, items: [], nextCursor: null } };
      const { rows } = await sql<
        Omit<ServerDelivery, "lastAttemptAt"> & { lastAttemptAt: unknown }
      >`
        select * from (${perHost(articleId, revision)}) h
        where (${after === null} or h.host > ${after?.key ?? ""})
          and (${page.state ?? null}::text is null or h.state = ${page.state ?? null})
        order by h.host
        limit ${page.limit + 1}
      `.execute(db);
      const paged = keysetPage(
        rows.map(
          (row): ServerDelivery => ({
            host: row.host,
            state: row.state,
            lastStatus: row.lastStatus,
            attempts: Number(row.attempts),
            lastAttemptAt: toDate(row.lastAttemptAt),
            inboxes: Number(row.inboxes),
            delivered: Number(row.delivered),
            givenUp: Number(row.givenUp),
          }),
        ),
        page.limit,
        hostKey,
      );
      return paged.ok ? { ok: true, value: { summary, ...paged.value } } : paged;
    },

    /** Every remote server that follows a feed or has a record, by host name. */
    async remoteServers(options: RemoteServerOptions): Promise<RemoteServersResult> {
      const after = options.cursor === undefined ? null : decodeKeyset(options.cursor);
      if (after === undefined) return { ok: false, error: "invalid-cursor" };
      type Row = {
        host: string;
        followers: number;
        lastSuccessAt: unknown;
        lastFailureAt: unknown;
        lastStatus: string | null;
        failures: number;
        circuit: RemoteServer["circuit"];
        failing: boolean;
      };
      const { rows } = await sql<Row>`
        with f as (
          select lower(substring(coalesce(shared_inbox_url, inbox_url) from '^[^:]+://([^/?#]+)'))
            as host, count(*)::int as followers
          from followers group by 1
        ), d as (
          select r.host, max(r.last_success_at) as last_success_at,
            max(r.last_failure_at) as last_failure_at,
            (array_agg(r.last_status order by r.last_attempt_at desc nulls last))[1] as last_status,
            (count(*) filter (where ${ROW_FAILED}))::int as failures
          from delivery_records r group by r.host
        ), s as (
          select coalesce(f.host, d.host) as host, coalesce(f.followers, 0) as followers,
            d.last_success_at, d.last_failure_at, d.last_status, coalesce(d.failures, 0) as failures
          from f full join d on d.host = f.host
        ), c as (
          select s.*, kv.value->>'state' as circuit
          from s left join fedify_kv kv
            on kv.key = ${CIRCUIT_KEY_PREFIX} || ',' || to_json(s.host)::text
            and (kv.expires_at is null or kv.expires_at > now())
        )
        select * from (
          select c.*, (coalesce(c.circuit, 'closed') <> 'closed' or (c.last_failure_at is not null
            and c.last_failure_at >= coalesce(c.last_success_at, c.last_failure_at))) as failing
          from c
          where c.host is not null and (${after === null} or c.host > ${after?.key ?? ""})
        ) x
        where (${options.failing !== true} or x.failing)
        order by x.host
        limit ${options.limit + 1}
      `.execute(db);
      return keysetPage(
        rows.map(
          (row): RemoteServer => ({
            host: row.host,
            followers: Number(row.followers),
            lastSuccessAt: toDate(row.lastSuccessAt),
            lastFailureAt: toDate(row.lastFailureAt),
            lastStatus: row.lastStatus,
            failures: Number(row.failures),
            circuit: row.circuit,
            failing: row.failing,
          }),
        ),
        options.limit,
        hostKey,
      );
    },
  };
}

function toDate(value: unknown): Date | null {
  return value === null || value === undefined ? null : new Date(value as string);
}

export type DeliveryRecordView = ReturnType<typeof createDeliveryRecordView>;

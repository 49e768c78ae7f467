import type { ColumnType, Kysely } from "kysely";

/**
 * The tables of Fedify's key–value store and message queue (created by the app's migrations
 * 0002 and 0004), in camelCase for kysely's CamelCasePlugin. A database that holds them is a
 * `Kysely<FedifyDatabase>`; the app's own schema extends this one.
 */
type Json<T> = ColumnType<T, string, string>;
type Timestamp = ColumnType<Date, Date, Date>;

/** Fedify's key–value store (kv-store.ts). */
export interface FedifyKvTable {
  /** The KvKey JSON-encoded without its closing bracket, so a key prefix is a range of rows. */
  key: string;
  value: Json<unknown>;
  expiresAt: Timestamp | null;
}

/** Fedify's message queue (src/fedify-kysely/message-queue.ts). */
export interface FedifyMessagesTable {
  /** bigint identity: pg returns it as a string and PGlite as a number, so queries cast it. */
  id: ColumnType<string, never, never>;
  queue: ColumnType<string, string | undefined, string>;
  payload: Json<unknown>;
  orderingKey: string | null;
  availableAt: ColumnType<Date, Date | undefined, Date>;
  attempts: ColumnType<number, number | undefined, number>;
  lockedBy: string | null;
  lockedUntil: Timestamp | null;
  createdAt: ColumnType<Date, Date | undefined, never>;
  /** The parts this message shares with the rest of its batch (fedify_message_shares). */
  shareId: ColumnType<string | null, string | null | undefined, never>;
}

/** Payload parts shared by a batch of queue messages (migrations/0004-batched-queue.ts). */
export interface FedifyMessageSharesTable {
  id: ColumnType<string, never, never>;
  value: Json<unknown>;
  createdAt: ColumnType<Date, Date | undefined, never>;
}

export interface FedifyDatabase {
  fedifyKv: FedifyKvTable;
  fedifyMessages: FedifyMessagesTable;
  fedifyMessageShares: FedifyMessageSharesTable;
}

/**
 * What the stores and the queue take: any Kysely instance whose database has these tables,
 * whatever else it holds (kysely's types are invariant, so `Kysely<AppDatabase>` is not a
 * `Kysely<FedifyDatabase>`). The CamelCasePlugin must be on, as the table types are camelCase.
 */
// biome-ignore lint/suspicious/noExplicitAny: a database with more tables than these is fine.
export type KyselyWithFedifyTables = Kysely<any>;

/** The one narrowing from the public parameter type to the tables this module uses. */
export function fedifyTables(db: KyselyWithFedifyTables): Kysely<FedifyDatabase> {
  return db as Kysely<FedifyDatabase>;
}

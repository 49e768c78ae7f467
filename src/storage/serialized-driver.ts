import type { DatabaseConnection, Driver, TransactionSettings } from "kysely";

/**
 * PGlite is one connection. Kysely's PGlite driver hands that same connection to every caller,
 * so without a lock a query from one request would run inside another request's open
 * transaction. This wrapper lets one caller (a query, or a whole transaction) hold it at a time.
 */
export class SerializedDriver implements Driver {
  readonly #inner: Driver;
  #tail: Promise<void> = Promise.resolve();
  readonly #releases = new Map<DatabaseConnection, () => void>();

  constructor(inner: Driver) {
    this.#inner = inner;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.#tail;
    this.#tail = previous.then(() => turn);
    await previous;
    const connection = await this.#inner.acquireConnection();
    this.#releases.set(connection, release);
    return connection;
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await this.#inner.releaseConnection(connection);
    const release = this.#releases.get(connection);
    this.#releases.delete(connection);
    release?.();
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(connection);
  }

  savepoint: Driver["savepoint"] = (connection, name, compile) =>
    this.#inner.savepoint?.(connection, name, compile) ?? Promise.resolve();

  rollbackToSavepoint: Driver["rollbackToSavepoint"] = (connection, name, compile) =>
    this.#inner.rollbackToSavepoint?.(connection, name, compile) ?? Promise.resolve();

  releaseSavepoint: Driver["releaseSavepoint"] = (connection, name, compile) =>
    this.#inner.releaseSavepoint?.(connection, name, compile) ?? Promise.resolve();

  async destroy(): Promise<void> {
    await this.#tail;
    await this.#inner.destroy();
  }
}

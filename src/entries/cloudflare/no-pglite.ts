/**
 * Stands in for `@electric-sql/pglite` in the Worker bundle (wrangler.toml `[alias]`): the
 * Worker always uses PostgreSQL through Hyperdrive, and src/storage/database.ts only imports
 * PGlite lazily, when no database URL is configured, so this is never reached there.
 */
export const PGlite = {
  create(): never {
    throw new Error("PGlite is not available on Cloudflare Workers; bind HYPERDRIVE instead");
  },
};

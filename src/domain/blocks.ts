/**
 * Blocks: a server (a domain, which covers its subdomains, as Mastodon's domain blocks do) or
 * one actor. `suspend` cuts it off: its inbox traffic is dropped, its followers removed and
 * never delivered to, its likes, boosts and replies removed; `silence` only keeps its replies
 * off our pages and out of the counts. No framework here: the rules, for storage and federation.
 */
export const BLOCK_SEVERITIES = ["suspend", "silence"] as const;
export type BlockSeverity = (typeof BLOCK_SEVERITIES)[number];
export type BlockKind = "domain" | "actor";

export interface Block {
  readonly id: string;
  readonly kind: BlockKind;
  /** A lower-case host name (kind `domain`) or an actor id (kind `actor`). */
  readonly target: string;
  readonly severity: BlockSeverity;
  /** Drop `Flag` reports from it (Mastodon's `#reject_reports`), even when only silenced. */
  readonly rejectReports: boolean;
  readonly comment: string | null;
  readonly createdAt: Date;
}

export type NewBlock = Omit<Block, "id" | "createdAt">;

/** What blocking removed, for the answer (and the audit trail). Unblocking restores none of it. */
export interface BlockEffects {
  readonly followersRemoved: number;
  /** Likes and boosts removed, and approved quotes revoked (FEP-044f). */
  readonly interactionsRemoved: number;
  readonly repliesRemoved: number;
}

const DOMAIN =
  /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * A domain as blocks store it: lower case, no trailing dot, no scheme or port. IDN names in
 * Unicode are written as the URL parser writes them (punycode). Undefined if it is not one.
 */
export function normalizeDomain(input: string): string | undefined {
  const text = input.trim().toLowerCase().replace(/\.$/, "");
  if (text === "" || /[/:@\s]/.test(text)) return undefined;
  let host: string;
  try {
    host = new URL(`http://${text}/`).hostname;
  } catch {
    return undefined;
  }
  return DOMAIN.test(host) || /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? host : undefined;
}

/** The host of a URL (an actor id, a key id, an inbox), lower case; undefined if it has none. */
export function hostOf(url: string | URL): string | undefined {
  const parsed = typeof url === "string" ? URL.parse(url) : url;
  return parsed?.hostname ? parsed.hostname.toLowerCase() : undefined;
}

/** Every block at one moment, for cheap checks on every inbox POST and every delivery. */
export class BlockSet {
  readonly #domains = new Map<string, Block>();
  readonly #actors = new Map<string, Block>();

  constructor(blocks: readonly Block[]) {
    for (const block of blocks) {
      (block.kind === "domain" ? this.#domains : this.#actors).set(block.target, block);
    }
  }

  get size(): number {
    return this.#domains.size + this.#actors.size;
  }

  /** The domain block covering `host` (the host itself or a parent domain), if any. */
  domainBlockOf(host: string | undefined): Block | undefined {
    if (!host) return undefined;
    let name = host.toLowerCase();
    for (;;) {
      const block = this.#domains.get(name);
      if (block) return block;
      const dot = name.indexOf(".");
      if (dot < 0) return undefined;
      name = name.slice(dot + 1);
    }
  }

  /** The block that applies to an actor: its own, else its server's. */
  blockOf(actorId: string | URL): Block | undefined {
    const id = typeof actorId === "string" ? actorId : actorId.href;
    return this.#actors.get(id) ?? this.domainBlockOf(hostOf(id));
  }

  /** Whether everything from this actor is dropped (a suspension of it or its server). */
  isSuspended(actorId: string | URL): boolean {
    return this.blockOf(actorId)?.severity === "suspend";
  }

  /** Whether nothing is delivered to this host (its server is suspended). */
  isSuspendedHost(host: string | undefined): boolean {
    return this.domainBlockOf(host)?.severity === "suspend";
  }
}

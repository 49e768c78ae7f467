import type { QuotePolicy } from "./feed.ts";

/** A quote of one of our posts that we approved (FEP-044f), as stored. */
export interface QuoteAuthorization {
  readonly id: string;
  readonly articleId: string;
  readonly feedSlug: string;
  /** Our post they quote: the article's post in that feed, or one of its live updates. */
  readonly targetUri: string;
  /** Their post that quotes it (the QuoteRequest's `instrument`). */
  readonly quotingObject: string;
  readonly quotingActor: string;
  /** Where the Accept, and a revocation's Delete, go. */
  readonly quotingInbox: string;
  /** The QuoteRequest's id: the Accept names it, and Mastodon finds its pending quote by it. */
  readonly requestId: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

export type NewQuoteAuthorization = Omit<QuoteAuthorization, "id" | "createdAt" | "revokedAt">;

/** What a quote request is answered with, and why (the reason is logged, never sent). */
export type QuoteVerdict =
  | { readonly approved: true }
  | { readonly approved: false; readonly reason: "policy" | "not-a-follower" | "blocked" };

/**
 * Whether a quote request is approved at once. A feed's policy is applied as it stands when
 * the request comes; nothing waits for an editor (newsrooms asked for automatic approval, and a
 * pending quote shows on Mastodon as "awaiting approval" until it times out). A silenced server
 * or actor is refused whatever the policy: its quotes would spread what we chose to keep quiet.
 */
export function quoteVerdict(
  policy: QuotePolicy,
  requester: { readonly follows: boolean; readonly blocked: boolean },
): QuoteVerdict {
  if (requester.blocked) return { approved: false, reason: "blocked" };
  switch (policy) {
    case "everyone":
      return { approved: true };
    case "followers":
      return requester.follows ? { approved: true } : { approved: false, reason: "not-a-follower" };
    case "nobody":
      return { approved: false, reason: "policy" };
  }
}

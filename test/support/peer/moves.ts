/**
 * What a Mastodon server does for its users' follows when a followed account moves
 * (`app/lib/activitypub/activity/move.rb`, then `MoveWorker`): the peer's inbox has already
 * verified the Move's signature and that its actor owns the key; then the Move's `object` must be
 * its actor, the `target` is fetched and must name the origin in `alsoKnownAs` (and its
 * WebFinger address must loop back to it, as Mastodon checks of any account it resolves), and
 * each local follower of the origin follows the target and then unfollows the origin (Undo
 * Follow), in the order of Mastodon's `UnfollowFollowWorker`.
 *
 * Independent of Tidings: plain fetches and the peer's own signing client.
 */
import { fetchActor, follow, postSigned, undo, webfinger } from "./client.ts";
import { idOf } from "./keys.ts";
import {
  type Activity,
  createWaiters,
  type PeerActor,
  type ReceivedActivity,
} from "./peer-server.ts";

/** One Move handled: followed through, or refused with Mastodon's reason. */
export type MoveOutcome =
  | {
      readonly result: "moved";
      readonly origin: string;
      readonly target: string;
      /** The local users that now follow the target instead. */
      readonly followers: readonly string[];
    }
  | { readonly result: "refused"; readonly origin: string; readonly reason: string };

export interface PeerFollows {
  /** Follows `target` (an actor URL) as `actor`: a signed Follow to the target's inbox. */
  follow(actor: PeerActor, target: string): Promise<void>;
  /** The actors `actor` follows now (as this server believes). */
  following(actor: PeerActor): string[];
  /** Give it every activity the peer accepts (`startPeerServer({ onAccepted })`). */
  onAccepted(record: ReceivedActivity, duplicate: boolean): void;
  readonly moves: readonly MoveOutcome[];
  /** Resolves once `count` Moves have been handled (followed through or refused). */
  waitForMoves(count: number, timeoutMs?: number): Promise<readonly MoveOutcome[]>;
}

export function createPeerFollows(): PeerFollows {
  /** Per local user: the Follow activity it sent, by the followed actor's id. */
  const follows = new Map<PeerActor, Map<string, Activity>>();
  const moves: MoveOutcome[] = [];
  const failures: string[] = [];
  const waiters = createWaiters(
    () =>
      `handled ${moves.length} Moves${failures.length ? `; failed: ${failures.join(" | ")}` : ""}`,
  );
  let queue = Promise.resolve();

  async function inboxOf(actorId: string): Promise<string> {
    const document = await fetchActor(actorId);
    if (typeof document.inbox !== "string") throw new Error(`${actorId} has no inbox`);
    return document.inbox;
  }

  async function sendFollow(actor: PeerActor, target: string): Promise<void> {
    const activity = follow(actor, target);
    const response = await postSigned(await inboxOf(target), activity, { actor });
    if (response.status >= 300) {
      throw new Error(`Follow of ${target} answered ${response.status}: ${await response.text()}`);
    }
    const mine = follows.get(actor) ?? new Map<string, Activity>();
    mine.set(target, activity);
    follows.set(actor, mine);
  }

  /** Mastodon resolves an account by WebFinger and insists that it names the same actor. */
  async function loopsBack(document: Record<string, unknown>, actorId: string) {
    const username = document.preferredUsername;
    if (typeof username !== "string") return false;
    const { host, origin } = new URL(actorId);
    return (await webfinger(origin, `acct:${username}@${host}`)) === actorId;
  }

  async function handleMove(move: Activity, origin: string): Promise<MoveOutcome> {
    const refused = (reason: string): MoveOutcome => ({ result: "refused", origin, reason });
    if (idOf(move.object) !== origin) return refused("the Move's object is not its actor");
    const target = idOf(move.target);
    if (target === null) return refused("the Move has no target");
    let document: Record<string, unknown>;
    try {
      document = await fetchActor(target);
    } catch (error) {
      return refused(`the target could not be fetched: ${String(error)}`);
    }
    const aliases = ([] as unknown[]).concat(document.alsoKnownAs ?? []).map(idOf);
    if (!aliases.includes(origin))
      return refused("the target's alsoKnownAs does not name the origin");
    if (!(await loopsBack(document, target)))
      return refused("the target's WebFinger does not loop back");
    const moved: string[] = [];
    for (const [actor, mine] of follows) {
      const original = mine.get(origin);
      if (!original) continue;
      await sendFollow(actor, target);
      const response = await postSigned(await inboxOf(origin), undo(actor, original), { actor });
      if (response.status >= 300) throw new Error(`Undo to ${origin} answered ${response.status}`);
      mine.delete(origin);
      moved.push(actor.id);
    }
    return { result: "moved", origin, target, followers: moved };
  }

  return {
    follow: sendFollow,
    following: (actor) => [...(follows.get(actor)?.keys() ?? [])],
    onAccepted(record, duplicate) {
      if (duplicate || record.type !== "Move") return;
      // One at a time, in the order they came, as a worker queue would.
      queue = queue
        .then(() => handleMove(record.activity, record.actor))
        .then((outcome) => {
          moves.push(outcome);
        })
        .catch((error: unknown) => {
          failures.push(String(error));
        })
        .finally(() => waiters.notify());
    },
    moves,
    async waitForMoves(count, timeoutMs) {
      await waiters.waitUntil(() => moves.length >= count || failures.length > 0, timeoutMs);
      if (failures.length > 0) throw new Error(`handling a Move failed: ${failures.join(" | ")}`);
      return moves;
    },
  };
}

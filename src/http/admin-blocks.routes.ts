import { Hono } from "hono";
import { parseDomainBlockCsv } from "../content/domain-block-csv.ts";
import { type Block, normalizeDomain } from "../domain/blocks.ts";
import type { Clock } from "../domain/ports.ts";
import { blockInput, blockListQuery } from "../schemas/block.schema.ts";
import type { ModerationStore } from "../storage/moderation-store.ts";
import { invalidCursor } from "./admin-audit.routes.ts";
import { type AdminEnv, requireScope } from "./admin-auth.ts";
import { readBoundedBytes } from "./bounded-body.ts";
import { ProblemError, problem, problemResponse, validationProblem } from "./problem.ts";
import { readJsonBody, readQuery } from "./request.ts";

export interface AdminBlocksDeps {
  readonly moderation: ModerationStore;
  readonly clock: Clock;
  readonly maxBodyBytes: number;
  /** `@user@host` -> actor id, through WebFinger (undefined: not found). Absent: ids only. */
  readonly resolveActor?: ((handle: string) => Promise<string | undefined>) | undefined;
  /** Told after every change, so the in-memory block list is reloaded. */
  readonly onBlocksChanged: () => void;
}

/** What unblocking answers, every time: a block's effects are not undone. */
export const NOTHING_RESTORED =
  "Unblocked. Nothing is restored: followers removed by the block must follow again, and the likes, boosts and replies it removed are gone.";

export const serializeBlock = (block: Block) => ({
  ...block,
  createdAt: block.createdAt.toISOString(),
});

/** `/admin/blocks`: block servers and accounts, import Mastodon's CSV, list, unblock. */
export function adminBlockRoutes(deps: AdminBlocksDeps) {
  const { moderation, clock, maxBodyBytes, onBlocksChanged } = deps;
  const routes = new Hono<AdminEnv>();

  routes.post("/", requireScope("admin"), async (c) => {
    const input = await readJsonBody(c, blockInput, maxBodyBytes);
    const target =
      input.domain !== undefined
        ? domainTarget(input.domain)
        : await actorTarget(input.actor ?? "");
    const result = await moderation.block(
      {
        ...target,
        severity: input.severity,
        rejectReports: input.rejectReports,
        comment: input.comment || null,
      },
      clock.now(),
    );
    onBlocksChanged();
    return c.json(
      { ...serializeBlock(result.block), effects: result.effects },
      result.created ? 201 : 200,
      { location: `/admin/blocks/${result.block.id}` },
    );
  });

  routes.post("/import", requireScope("admin"), async (c) => {
    const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== "text/csv") {
      throw new ProblemError(
        problem(
          "unsupportedMediaType",
          `Send Mastodon's domain-block export as text/csv (got ${type || "no Content-Type"})`,
        ),
      );
    }
    const bytes = await readBoundedBytes(c.req.raw, maxBodyBytes);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new ProblemError(
        validationProblem([{ pointer: "/line/1", detail: "the file is not UTF-8" }]),
      );
    }
    const parsed = parseDomainBlockCsv(text);
    if (!parsed.ok) {
      const detail = `line ${parsed.line}: ${parsed.detail}; nothing was imported`;
      return problemResponse({
        ...validationProblem([{ pointer: `/line/${parsed.line}`, detail: parsed.detail }], detail),
        line: parsed.line,
      });
    }
    const summary = await moderation.importDomainBlocks(parsed.rows, clock.now());
    onBlocksChanged();
    return c.json(summary);
  });

  routes.get("/", requireScope("admin"), async (c) => {
    const query = readQuery(c, blockListQuery);
    const result = await moderation.blocks.page(query.limit, query.cursor, query.target);
    if (!result.ok) throw invalidCursor();
    return c.json({
      items: result.value.items.map(serializeBlock),
      nextCursor: result.value.nextCursor,
    });
  });

  routes.delete("/:idOrTarget", requireScope("admin"), async (c) => {
    const key = c.req.param("idOrTarget");
    const removed = await moderation.unblock(normalizeDomain(key) ?? key);
    if (!removed) return problemResponse(problem("notFound", `Nothing is blocked as "${key}"`));
    onBlocksChanged();
    return c.json({
      unblocked: serializeBlock(removed),
      restored: false,
      detail: NOTHING_RESTORED,
    });
  });

  return routes;

  async function actorTarget(actor: string) {
    if (/^@?[^@\s/]+@[^@\s/]+$/.test(actor)) {
      const id = await deps.resolveActor?.(actor.replace(/^@?/, "@"));
      if (!id) throw fieldProblem("/actor", `${actor} could not be found (WebFinger)`);
      return { kind: "actor" as const, target: id };
    }
    const url = URL.parse(actor);
    if (!url || !/^https?:$/.test(url.protocol)) {
      throw fieldProblem("/actor", "must be an actor id (https://…) or a handle (@name@host)");
    }
    return { kind: "actor" as const, target: url.href };
  }
}

function domainTarget(domain: string) {
  const target = normalizeDomain(domain);
  if (!target) throw fieldProblem("/domain", "is not a domain name (e.g. spam.example)");
  return { kind: "domain" as const, target };
}

function fieldProblem(pointer: string, detail: string): ProblemError {
  return new ProblemError(validationProblem([{ pointer, detail }]));
}

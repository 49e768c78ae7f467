import { Hono } from "hono";
import { z } from "zod";
import type { Clock } from "../domain/ports.ts";
import type { WebSubSubscriptionListView } from "../storage/views/websub-subscription-list.view.ts";
import { type AdminEnv, requireScope } from "./admin-auth.ts";
import { problem, problemResponse } from "./problem.ts";
import { readQuery } from "./request.ts";

const subscriptionQuery = z.object({ feed: z.string().min(1).max(200) }).strict();

/** `GET /admin/websub/subscriptions?feed=SLUG`: who subscribes to a feed's documents. */
export function adminWebSubRoutes(view: WebSubSubscriptionListView, clock: Clock) {
  const routes = new Hono<AdminEnv>();
  routes.get("/subscriptions", requireScope("admin"), async (c) => {
    const { feed } = readQuery(c, subscriptionQuery);
    const items = await view.list(feed, clock.now());
    if (!items) return problemResponse(problem("notFound", `No feed named "${feed}"`));
    return c.json({
      items: items.map((item) => ({
        topic: item.topic,
        callbackHost: item.callbackHost,
        state: item.state,
        leaseEndsAt: item.leaseEndsAt.toISOString(),
        verifiedAt: item.verifiedAt.toISOString(),
        signed: item.signed,
        lastDeliveryAt: item.lastDeliveryAt?.toISOString() ?? null,
        lastDeliveryResult: item.lastDeliveryResult,
      })),
    });
  });
  return routes;
}

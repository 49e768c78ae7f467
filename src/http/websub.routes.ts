import { Hono } from "hono";
import { websubRequestSchema } from "../schemas/websub.schema.ts";
import type { WebSubHub } from "../syndication/websub-hub.ts";
import { readBoundedBytes } from "./bounded-body.ts";
import { ProblemError, problem, problemResponse, validationProblem } from "./problem.ts";
import { parseWith } from "./request.ts";

/** The parameters a hub request may carry (others are ignored, as WebSub allows). */
const HUB_FIELDS = ["hub.mode", "hub.topic", "hub.callback", "hub.lease_seconds", "hub.secret"];

/** `POST /websub`: the hub's subscription endpoint (form-encoded, WebSub §5.1). */
export function websubRoutes(hub: WebSubHub, maxBodyBytes: number): Hono {
  const routes = new Hono();
  routes.post("/websub", async (c) => {
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
    if (mediaType !== "application/x-www-form-urlencoded") {
      throw new ProblemError(
        problem("unsupportedMediaType", "Send the request as application/x-www-form-urlencoded"),
      );
    }
    const bytes = await readBoundedBytes(c.req.raw, maxBodyBytes);
    const form = new URLSearchParams(new TextDecoder().decode(bytes));
    const fields: Record<string, string> = {};
    for (const name of HUB_FIELDS) {
      const value = form.get(name);
      if (value !== null) fields[name] = value;
    }
    const request = parseWith(websubRequestSchema, fields);
    const refusal = await hub.request(request);
    if (!refusal) return c.body(null, 202);
    switch (refusal.type) {
      case "callback-refused":
        return problemResponse(
          validationProblem([
            {
              pointer: "/hub.callback",
              detail: `must be a public address (refused: ${refusal.reason})`,
            },
          ]),
        );
      case "too-many-subscriptions":
        return problemResponse(
          problem("tooManyRequests", `${refusal.host} holds the most subscriptions allowed`, {
            errors: [
              { pointer: "/hub.callback", detail: "its host is over the subscription limit" },
            ],
          }),
        );
      case "hub-full":
        return problemResponse(
          problem("unavailable", "The hub holds the most subscriptions it allows", {
            errors: [{ pointer: "/hub.topic", detail: "no new subscriptions are taken now" }],
          }),
          { "retry-after": "3600" },
        );
      case "too-many-verifications":
        return problemResponse(
          problem("tooManyRequests", "Too many verifications in progress; try again later", {
            errors: [{ pointer: "/hub.callback", detail: "its host has verifications pending" }],
          }),
          { "retry-after": "60" },
        );
    }
  });
  return routes;
}

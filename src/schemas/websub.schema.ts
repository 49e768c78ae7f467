import { z } from "zod";
import { absoluteHttpUrl } from "./common.ts";

/** Lease bounds of the hub (WebSub §5.1: the hub chooses; the subscriber only asks). */
export const WEBSUB_LEASE = {
  defaultSeconds: 10 * 24 * 3600,
  minSeconds: 3600,
  maxSeconds: 30 * 24 * 3600,
} as const;

/** Secrets of 200 bytes or more are refused (WebSub §5.1). */
const MAX_SECRET_BYTES = 199;

/** A subscriber's form-encoded request to `POST /websub`. */
export const websubRequestSchema = z.object({
  "hub.mode": z.enum(["subscribe", "unsubscribe"], "must be subscribe or unsubscribe"),
  "hub.topic": absoluteHttpUrl,
  "hub.callback": absoluteHttpUrl,
  "hub.lease_seconds": z
    .string()
    .regex(/^\d{1,10}$/, "must be a whole number of seconds")
    .transform(Number)
    .optional(),
  "hub.secret": z
    .string()
    .min(1, "must not be empty")
    .refine(
      (secret) => new TextEncoder().encode(secret).byteLength <= MAX_SECRET_BYTES,
      "must be shorter than 200 bytes",
    )
    .optional(),
});

export type WebSubRequest = z.output<typeof websubRequestSchema>;

/** The lease the hub grants for a requested one. */
export function grantedLeaseSeconds(requested: number | undefined): number {
  if (requested === undefined) return WEBSUB_LEASE.defaultSeconds;
  return Math.min(WEBSUB_LEASE.maxSeconds, Math.max(WEBSUB_LEASE.minSeconds, requested));
}

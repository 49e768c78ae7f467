import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import {
  constantTimeEqual,
  hashToken,
  scopeAllows,
  type TokenScope,
} from "../domain/admin-token.ts";
import type { DeskSessionRepository } from "../storage/desk-session-repository.ts";
import type { IdentifiedToken } from "./admin-auth.ts";
import { readBoundedBytes } from "./bounded-body.ts";

/** How long a desk sign-in lasts: one working day, then the token is asked for again. */
export const DESK_SESSION_MS = 12 * 60 * 60 * 1000;

/** The signed-in editor, as the desk's routes see them. */
export interface DeskEditor {
  readonly name: string;
  readonly scope: TokenScope;
  /** The hidden `_csrf` field every desk form carries. */
  readonly csrfToken: string;
  readonly idHash: string;
}

export type DeskEnv = {
  Variables: {
    /** Undefined when nobody is signed in (or the session ended). */
    editor: DeskEditor | undefined;
    /** A POST's form fields, read once (bounded) by `deskSession`. */
    form: URLSearchParams;
  };
};

export interface DeskSessionOptions {
  readonly sessions: DeskSessionRepository;
  /** ADMIN_TOKEN: its sessions end when it changes or is unset. */
  readonly adminToken: string | undefined;
  readonly publicUrl: string;
  readonly maxBodyBytes: number;
  readonly clock: { now(): Date };
}

/** Why a desk POST was refused before its route ran. */
export type DeskRefusal = "csrf" | "origin" | "media-type";

/**
 * The desk's door and its forms' guard. The session cookie holds a random id (only its SHA-256
 * is stored); it is HttpOnly, SameSite=Strict, and Secure (with the `__Host-` prefix) when the
 * service is served over https. Every POST must come from our own origin (Origin, else
 * Sec-Fetch-Site, when the browser sends them) and carry the session's CSRF token, which is
 * derived from the session id, so it needs no storage and dies with the session.
 */
export function deskSession(
  options: DeskSessionOptions,
  refuse: (c: Context<DeskEnv>, why: DeskRefusal) => Response | Promise<Response>,
): MiddlewareHandler<DeskEnv> {
  const { sessions, clock, publicUrl } = options;
  const configured = options.adminToken === undefined ? undefined : hashToken(options.adminToken);
  const origin = new URL(publicUrl).origin;
  const cookie = sessionCookie(publicUrl);

  async function editorFor(sessionId: string): Promise<DeskEditor | undefined> {
    const idHash = await hashToken(sessionId);
    const session = await sessions.find(idHash, clock.now());
    if (!session) return undefined;
    let scope: TokenScope | null;
    if (session.tokenId === null) {
      scope = configured && constantTimeEqual(await configured, session.tokenHash) ? "admin" : null;
    } else {
      scope = session.storedScope;
    }
    if (!scope) return undefined;
    return { name: session.tokenName, scope, csrfToken: await csrfTokenOf(sessionId), idHash };
  }

  return async (c, next) => {
    const sessionId = getCookie(c, cookie.name);
    c.set("editor", sessionId ? await editorFor(sessionId) : undefined);
    if (c.req.method === "POST") {
      if (!sameOrigin(c, origin)) return refuse(c, "origin");
      const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
      if (type !== "application/x-www-form-urlencoded") return refuse(c, "media-type");
      const bytes = await readBoundedBytes(c.req.raw, options.maxBodyBytes);
      const form = new URLSearchParams(new TextDecoder().decode(bytes));
      c.set("form", form);
      const editor = c.get("editor");
      // Signing in has no session yet: the Origin check and SameSite guard it.
      if (editor && !constantTimeEqual(form.get("_csrf") ?? "", editor.csrfToken)) {
        return refuse(c, "csrf");
      }
    }
    await next();
  };
}

/** Opens a session for a token that was just presented, and sets its cookie. */
export async function openDeskSession(
  c: Context,
  options: Pick<DeskSessionOptions, "sessions" | "clock" | "publicUrl">,
  token: IdentifiedToken,
): Promise<void> {
  const sessionId = randomSessionId();
  const now = options.clock.now();
  const expiresAt = new Date(now.getTime() + DESK_SESSION_MS);
  await options.sessions.open({
    idHash: await hashToken(sessionId),
    tokenId: token.tokenId,
    tokenHash: token.tokenHash,
    tokenName: token.name,
    createdAt: now,
    expiresAt,
  });
  const cookie = sessionCookie(options.publicUrl);
  setCookie(c, cookie.name, sessionId, { ...cookie.attributes, expires: expiresAt });
}

/** Ends the session (its row and its cookie). */
export async function closeDeskSession(
  c: Context<DeskEnv>,
  options: Pick<DeskSessionOptions, "sessions" | "clock" | "publicUrl">,
): Promise<void> {
  const editor = c.get("editor");
  if (editor) await options.sessions.close(editor.idHash, options.clock.now());
  const cookie = sessionCookie(options.publicUrl);
  deleteCookie(c, cookie.name, cookie.attributes);
}

export function editorMay(editor: DeskEditor, scope: TokenScope): boolean {
  return scopeAllows(editor.scope, scope);
}

/** `__Host-` (Secure, Path=/, no Domain) over https; a plain name on http://localhost. */
export function sessionCookie(publicUrl: string) {
  const secure = new URL(publicUrl).protocol === "https:";
  return {
    name: secure ? "__Host-tidings-desk" : "tidings-desk",
    attributes: {
      path: "/",
      httpOnly: true,
      secure,
      sameSite: "Strict",
    } as const,
  };
}

/**
 * A POST from elsewhere: its Origin names another origin, or (without Origin) the browser says
 * it is cross-site. A request without either (curl, tests) is judged by its CSRF token alone.
 */
function sameOrigin(c: Context, origin: string): boolean {
  const sent = c.req.header("origin");
  if (sent !== undefined) return sent === origin;
  const site = c.req.header("sec-fetch-site");
  return site === undefined || site === "same-origin" || site === "none";
}

async function csrfTokenOf(sessionId: string): Promise<string> {
  return hashToken(`tidings-desk-csrf:${sessionId}`);
}

function randomSessionId(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

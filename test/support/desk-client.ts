import type { Hono } from "hono";
import { ADMIN_TOKEN, PUBLIC_URL } from "./test-app.ts";

/** A desk answer: its status, where it redirects, and its HTML. */
export interface DeskAnswer {
  readonly status: number;
  readonly location: string | null;
  readonly html: string;
  readonly headers: Headers;
}

/**
 * A browser's part in the desk, through `app.request`: it keeps the session cookie, reads the
 * CSRF token from the page it last saw, and sends forms as a browser does (same Origin).
 */
export function deskClient(app: Hono) {
  let cookie = "";
  let csrf = "";

  async function answer(response: Response): Promise<DeskAnswer> {
    const setCookie = response.headers.get("set-cookie");
    if (setCookie) {
      const pair = setCookie.split(";")[0] ?? "";
      cookie = /=$/.test(pair) || /max-age=0/i.test(setCookie) ? "" : pair;
    }
    const html = await response.text();
    const token = /name="_csrf" value="([0-9a-f]+)"/.exec(html)?.[1];
    if (token) csrf = token;
    return {
      status: response.status,
      location: response.headers.get("location"),
      html,
      headers: response.headers,
    };
  }

  return {
    get cookie() {
      return cookie;
    },
    get csrf() {
      return csrf;
    },
    async get(path: string): Promise<DeskAnswer> {
      return answer(await app.request(path, { headers: { cookie, accept: "text/html" } }));
    },
    /** A form POST; `_csrf` is the page's token unless the fields name another. */
    async post(
      path: string,
      fields: Record<string, string | readonly string[]> = {},
      headers: Record<string, string> = {},
    ): Promise<DeskAnswer> {
      const body = new URLSearchParams();
      if (!("_csrf" in fields)) body.append("_csrf", csrf);
      for (const [name, value] of Object.entries(fields)) {
        for (const item of typeof value === "string" ? [value] : value) body.append(name, item);
      }
      return answer(
        await app.request(path, {
          method: "POST",
          headers: {
            cookie,
            origin: new URL(PUBLIC_URL).origin,
            "content-type": "application/x-www-form-urlencoded",
            ...headers,
          },
          body: body.toString(),
        }),
      );
    },
    async signIn(token = ADMIN_TOKEN): Promise<DeskAnswer> {
      return this.post("/desk/sign-in", { token });
    },
  };
}

export type DeskClient = ReturnType<typeof deskClient>;

/** The id of the story a compose redirect points at. */
export function storyIdOf(location: string | null): string {
  const id = /^\/desk\/stories\/([0-9a-f-]{36})/.exec(location ?? "")?.[1];
  if (!id) throw new Error(`not a story redirect: ${location}`);
  return id;
}

/** The validation message shown for a field (its `NAME-error` element). */
export function fieldError(html: string, name: string): string | undefined {
  const raw = new RegExp(`id="${name}-error">([^<]*)<`).exec(html)?.[1];
  return raw
    ?.replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

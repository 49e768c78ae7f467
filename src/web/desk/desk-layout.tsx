import type { Child } from "hono/jsx";
import { SITE_CSS_PATH } from "../layout.tsx";

export const DESK_CSS_PATH = "/desk/assets/desk.css";
export const DESK_JS_PATH = "/desk/assets/desk.js";

/** Who is signed in, as the pages show it: the name, and the token for every form. */
export interface DeskChrome {
  readonly siteName: string;
  readonly editorName?: string | undefined;
  readonly csrfToken?: string | undefined;
  /** The navigation entry of this page. */
  readonly section?: "overview" | "compose" | "feeds" | "servers" | undefined;
  /** A one-line confirmation after a redirect ("Story published."). */
  readonly notice?: string | undefined;
}

const SECTIONS = [
  { id: "overview", href: "/desk", label: "Overview" },
  { id: "compose", href: "/desk/compose", label: "Compose" },
  { id: "feeds", href: "/desk/feeds", label: "Feeds" },
  { id: "servers", href: "/desk/servers", label: "Servers" },
] as const;

/**
 * The desk's shell: the site's stylesheet plus the desk's own, one script file (no inline code:
 * the pages' CSP), landmarks, a skip link, and the navigation with a sign-out button.
 */
export function DeskLayout(props: { title: string; chrome: DeskChrome; children: Child }) {
  const { chrome } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{`${props.title} · Desk · ${chrome.siteName}`}</title>
        <link rel="stylesheet" href={SITE_CSS_PATH} />
        <link rel="stylesheet" href={DESK_CSS_PATH} />
        <script src={DESK_JS_PATH} defer />
      </head>
      <body class="desk">
        <a class="skip" href="#content">
          Skip to content
        </a>
        <header class="desk-header">
          <span class="desk-brand">{chrome.siteName} desk</span>
          {chrome.editorName ? (
            <nav aria-label="Desk">
              <ul>
                {SECTIONS.map((s) => (
                  <li>
                    <a href={s.href} aria-current={chrome.section === s.id ? "page" : undefined}>
                      {s.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          {chrome.editorName && chrome.csrfToken ? (
            <form method="post" action="/desk/sign-out" class="sign-out">
              <input type="hidden" name="_csrf" value={chrome.csrfToken} />
              <span class="meta">Signed in as {chrome.editorName}</span>{" "}
              <button type="submit">Sign out</button>
            </form>
          ) : null}
        </header>
        <main id="content" class="desk-main">
          {chrome.notice ? (
            <p class="notice" role="status">
              {chrome.notice}
            </p>
          ) : null}
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** The hidden field every desk form carries (checked on every POST). */
export function Csrf(props: { token: string | undefined }) {
  return <input type="hidden" name="_csrf" value={props.token ?? ""} />;
}

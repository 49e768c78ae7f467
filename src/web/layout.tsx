import type { Child } from "hono/jsx";
import { FAVICON_PATH } from "../domain/urls.ts";

export const SITE_CSS_PATH = "/assets/site.css";
export const SITE_JS_PATH = "/assets/site.js";

export interface Alternate {
  readonly type: string;
  readonly title?: string | undefined;
  readonly href: string;
}

/** What every page says about itself in `<head>`: title, links and social-card metadata. */
export interface PageHead {
  readonly title: string;
  readonly lang: string;
  readonly description?: string | undefined;
  /** Absolute URL of this page (or the story's canonical URL elsewhere). */
  readonly canonical?: string | undefined;
  /** Feed autodiscovery, and the ActivityPub object or actor behind the page. */
  readonly alternates?: readonly Alternate[] | undefined;
  readonly ogType?: "website" | "article" | undefined;
  readonly image?: { readonly url: string; readonly alt: string } | undefined;
  /** `@user@host` of the authors, for Mastodon's author attribution. */
  readonly fediverseCreators?: readonly string[] | undefined;
  readonly siteName: string;
  readonly publicUrl: string;
}

/**
 * The shell of every reader page: landmarks (header, main, footer), a skip link, the one
 * stylesheet and script (no inline code: see the CSP in pages.routes.ts).
 */
export function Layout(props: { head: PageHead; children: Child }) {
  const { head } = props;
  return (
    <html lang={head.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{head.title}</title>
        {head.description ? <meta name="description" content={head.description} /> : null}
        {head.canonical ? <link rel="canonical" href={head.canonical} /> : null}
        {(head.alternates ?? []).map((alternate) => (
          <link
            rel="alternate"
            type={alternate.type}
            title={alternate.title}
            href={alternate.href}
          />
        ))}
        <meta property="og:site_name" content={head.siteName} />
        <meta property="og:title" content={head.title} />
        <meta property="og:type" content={head.ogType ?? "website"} />
        {head.canonical ? <meta property="og:url" content={head.canonical} /> : null}
        {head.description ? <meta property="og:description" content={head.description} /> : null}
        {head.image ? <meta property="og:image" content={head.image.url} /> : null}
        {head.image ? <meta property="og:image:alt" content={head.image.alt} /> : null}
        <meta name="twitter:card" content={head.image ? "summary_large_image" : "summary"} />
        <meta name="twitter:title" content={head.title} />
        {head.description ? <meta name="twitter:description" content={head.description} /> : null}
        {head.image ? <meta name="twitter:image" content={head.image.url} /> : null}
        {(head.fediverseCreators ?? []).map((creator) => (
          <meta name="fediverse:creator" content={creator} />
        ))}
        <link rel="stylesheet" href={SITE_CSS_PATH} />
        <link rel="icon" href={FAVICON_PATH} sizes="256x256" />
        <script src={SITE_JS_PATH} defer />
      </head>
      <body>
        <a class="skip" href="#content">
          Skip to content
        </a>
        <header class="site-header">
          <a href={`${head.publicUrl}/`}>{head.siteName}</a>
        </header>
        <main id="content">{props.children}</main>
        <footer class="site-footer">
          <p>
            Every feed here can be read in a feed reader (RSS, Atom, JSON Feed) or followed from
            Mastodon and other fediverse servers.
          </p>
        </footer>
      </body>
    </html>
  );
}

/** A rendered page as a string, with the doctype JSX cannot write. */
export async function renderPage(node: { toString(): string | Promise<string> }): Promise<string> {
  return `<!doctype html>${await node.toString()}`;
}

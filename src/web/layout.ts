import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** The bare page shell shared by reader-facing pages (no external assets). */
export function page(options: { title: string; lang: string; head?: Html; body: Html }): Html {
  return html`<!doctype html>
<html lang="${options.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title}</title>
${options.head ?? ""}
<style>
:root { color-scheme: light dark; font-family: Georgia, serif; line-height: 1.6; }
body { max-width: 42rem; margin: 0 auto; padding: 1rem; }
img { max-width: 100%; height: auto; }
figcaption, .meta { font-size: 0.9rem; color: GrayText; }
</style>
</head>
<body>
<main>${options.body}</main>
</body>
</html>`;
}

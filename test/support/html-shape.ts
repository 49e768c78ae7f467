// htmlparser2 is what sanitize-html parses with (a dependency of it, resolvable from here).
import { Parser } from "htmlparser2";

/** The elements sanitize-html writes as `<name … />`. */
const VOID_TAGS: ReadonlySet<string> = new Set(["br", "hr", "img"]);

/**
 * One token of sanitised markup, read strictly: an end tag, a start tag whose attribute values are
 * double-quoted without raw `<`, `>` or `"`, or a `<` that starts neither (always a problem).
 */
const TOKEN = /<\/([a-z][a-z0-9]*)>|<([a-z][a-z0-9]*)((?: [a-z-]+(?:="[^"<>]*")?)*)( \/)?>|</g;

export interface Shape {
  /** Everything wrong: stray `<`, mismatched or unclosed tags, void tags not self-closed. */
  readonly problems: string[];
  /** Tag names seen, start and end tags alike. */
  readonly tagNames: ReadonlySet<string>;
  /** How many elements enclose the deepest one, plus one (0 for plain text). */
  readonly depth: number;
}

/**
 * Reads sanitised markup without any HTML parser's repairs: every element must be closed
 * explicitly and in order, which is what a browser needs to leave nothing open after the fragment.
 */
export function shapeOf(html: string): Shape {
  const problems: string[] = [];
  const tagNames = new Set<string>();
  const open: string[] = [];
  let depth = 0;
  for (const match of html.matchAll(TOKEN)) {
    const [token, endName, startName, , selfClosing] = match;
    if (endName !== undefined) {
      tagNames.add(endName);
      const top = open.pop();
      if (top !== endName) problems.push(`${token} at ${match.index} closes <${top ?? "nothing"}>`);
    } else if (startName !== undefined) {
      tagNames.add(startName);
      depth = Math.max(depth, open.length + 1);
      if (VOID_TAGS.has(startName) !== (selfClosing !== undefined)) {
        problems.push(`${token} at ${match.index}: void elements and only they end in " />"`);
      }
      if (selfClosing === undefined) open.push(startName);
    } else {
      problems.push(`stray "<" at ${match.index}: ${html.slice(match.index, match.index + 30)}`);
    }
  }
  for (const name of open) problems.push(`<${name}> never closed`);
  return { problems, tagNames, depth };
}

export interface Parsed {
  /** The text an HTML parser reads, entities decoded. */
  readonly text: string;
  /** Non-void elements the parser had to close itself (implied by another tag or the end). */
  readonly impliedCloses: string[];
}

/** Parses markup as sanitize-html does, to compare text and to catch implied closes. */
export function parse(html: string): Parsed {
  let text = "";
  const impliedCloses: string[] = [];
  const parser = new Parser({
    ontext(data) {
      text += data;
    },
    onclosetag(name, isImplied) {
      if (isImplied && !VOID_TAGS.has(name)) impliedCloses.push(name);
    },
  });
  parser.end(html);
  return { text, impliedCloses };
}

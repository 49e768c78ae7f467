import { Tokenizer, type TokenizerCallbacks } from "htmlparser2";
import type sanitizeHtml from "sanitize-html";

type GuardOptions = Required<Pick<sanitizeHtml.IOptions, "parser" | "onOpenTag" | "onCloseTag">>;
type TokenizerOptions = ConstructorParameters<typeof Tokenizer>[0];

/**
 * Options for one `sanitizeHtml` call that keep htmlparser2's work linear on deeply nested input.
 *
 * sanitize-html's `nestingLimit` only drops deep elements from the output. The parser underneath
 * still tracks every open element in an array it `unshift`s, so each start tag costs time in
 * proportion to the depth: 960 KB of nested `<blockquote>` (80,000 levels) takes seconds to parse.
 * htmlparser2 lets a caller supply its tokenizer; this one wraps the real tokenizer and hides from
 * the parser every start tag that would get `limit` or more open ancestors, together with the end
 * tags that match it. Text still flows, so the effect is sanitize-html's: such elements are dropped
 * and their text kept. A drop-with-content element at the boundary (`<script>`, `<object>`, …) is
 * passed on, so sanitize-html drops its content as usual; beneath it everything is hidden. The
 * parser thus never holds more than `limit + 1` open elements.
 *
 * The open-element count comes from sanitize-html's `onOpenTag`/`onCloseTag` hooks, which see every
 * element the parser opens and closes, including implied closes. An end tag is matched to a hidden
 * start tag by name; once the element that holds the hidden ones closes, they are forgotten (the
 * parser would have closed them with it). Only documents that go past the limit are affected, and
 * only beneath it.
 *
 * Create one per call: the returned options carry that call's state.
 */
export function nestingGuard(limit: number, dropWithContent: ReadonlySet<string>): GuardOptions {
  let depth = 0;
  let source = "";
  let hidingStartTag = false;
  const hiddenOpen = new Map<string, number>();

  const tagName = (start: number, end: number) => source.slice(start, end).toLowerCase();

  function filter(parser: TokenizerCallbacks): TokenizerCallbacks {
    return {
      onopentagname(start, end) {
        const name = tagName(start, end);
        if (depth < limit || (depth === limit && dropWithContent.has(name))) {
          parser.onopentagname(start, end);
        } else {
          hidingStartTag = true;
          hiddenOpen.set(name, (hiddenOpen.get(name) ?? 0) + 1);
        }
      },
      onattribname(start, end) {
        if (!hidingStartTag) parser.onattribname(start, end);
      },
      onattribdata(start, end) {
        if (!hidingStartTag) parser.onattribdata(start, end);
      },
      onattribentity(codepoint) {
        if (!hidingStartTag) parser.onattribentity(codepoint);
      },
      onattribend(quote, end) {
        if (!hidingStartTag) parser.onattribend(quote, end);
      },
      onopentagend(end) {
        if (hidingStartTag) hidingStartTag = false;
        else parser.onopentagend(end);
      },
      onselfclosingtag(end) {
        if (hidingStartTag) hidingStartTag = false;
        else parser.onselfclosingtag(end);
      },
      onclosetag(start, end) {
        const name = tagName(start, end);
        const hidden = hiddenOpen.get(name) ?? 0;
        if (hidden === 0) parser.onclosetag(start, end);
        else if (hidden === 1) hiddenOpen.delete(name);
        else hiddenOpen.set(name, hidden - 1);
      },
      ontext: (start, end) => parser.ontext(start, end),
      ontextentity: (codepoint, end) => parser.ontextentity(codepoint, end),
      oncomment: (start, end, offset) => parser.oncomment(start, end, offset),
      oncdata: (start, end, offset) => parser.oncdata(start, end, offset),
      ondeclaration: (start, end) => parser.ondeclaration(start, end),
      onprocessinginstruction: (start, end) => parser.onprocessinginstruction(start, end),
      onend: () => parser.onend(),
    };
  }

  /** What htmlparser2's `Parser` uses of a tokenizer: the constructor and these five members. */
  class GuardedTokenizer {
    readonly #inner: Tokenizer;
    constructor(options: TokenizerOptions, parser: TokenizerCallbacks) {
      this.#inner = new Tokenizer(options, filter(parser));
    }
    get running(): boolean {
      return this.#inner.running;
    }
    write(chunk: string): void {
      // Tokenizer positions count from the start of the first chunk.
      source += chunk;
      this.#inner.write(chunk);
    }
    end(): void {
      this.#inner.end();
    }
    pause(): void {
      this.#inner.pause();
    }
    resume(): void {
      this.#inner.resume();
    }
    reset(): void {
      source = "";
      depth = 0;
      hidingStartTag = false;
      hiddenOpen.clear();
      this.#inner.reset();
    }
  }

  return {
    parser: {
      decodeEntities: true,
      // @types/sanitize-html describes htmlparser2 12's options; at run time sanitize-html uses the
      // htmlparser2 10 installed next to it, whose tokenizer this wraps (same constructor shape).
      Tokenizer: GuardedTokenizer as unknown as NonNullable<
        sanitizeHtml.IOptions["parser"]
      >["Tokenizer"],
    },
    onOpenTag() {
      depth++;
    },
    onCloseTag() {
      depth--;
      if (depth < limit && hiddenOpen.size > 0) hiddenOpen.clear();
    },
  };
}

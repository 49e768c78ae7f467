import { cleanText } from "../content/sanitize-html.ts";

const TEXT_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  "\r": "&#13;",
};

const ATTRIBUTE_ESCAPES: Readonly<Record<string, string>> = {
  ...TEXT_ESCAPES,
  '"': "&quot;",
  "\t": "&#9;",
  "\n": "&#10;",
};

/**
 * Escapes character data. `>` is escaped too, so `]]>` can never appear; CR becomes a character
 * reference because XML parsers turn a literal CR (and CRLF) into LF.
 */
export function escapeXmlText(text: string): string {
  return cleanText(text).replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c] ?? c);
}

/**
 * Escapes a double-quoted attribute value. Tab, LF and CR become character references because
 * attribute-value normalisation would otherwise turn them into spaces.
 */
export function escapeXmlAttribute(value: string): string {
  return cleanText(value).replace(/[&<>"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c] ?? c);
}

type SlotKind = "text" | "attribute" | "cdata";

/** U+0001 and U+0002 never survive `cleanText`, so no content can forge or split a token. */
const TOKEN_START = "\u0001";
const TOKEN_END = "\u0002";
// biome-ignore lint/suspicious/noControlCharactersInRegex: the delimiters are control characters by design.
const TOKEN = /<!\[CDATA\[\u0001(\d+)\u0002\]\]>|\u0001(\d+)\u0002/g;

/**
 * Placeholders for values the `feed` package would escape wrongly.
 *
 * feed 6.0.0 (through xml-js) escapes only `&` in some places, only `"` in attribute values, turns
 * a literal `&amp;` in text back into `&`, splits only the first `]]>` of a CDATA section and
 * never removes characters XML forbids. So every string we do not control goes in as an opaque
 * token that all of that leaves alone; `fill` then swaps each token for the value escaped for the
 * context it ended up in. A token that feed wraps in CDATA is replaced together with its
 * `<![CDATA[…]]>` wrapper, so our documents carry escaped text and no CDATA at all.
 *
 * Until `fill` runs, a document contains only markup written by feed and by us: structural fixes
 * can match it with regular expressions without any risk of matching article text.
 */
export class XmlSlots {
  readonly #slots: { readonly kind: SlotKind; readonly value: string }[] = [];

  /** A value feed writes as element text. */
  text(value: string): string {
    return this.#hold("text", value);
  }

  /** A value feed writes as an attribute value (double-quoted). */
  attribute(value: string): string {
    return this.#hold("attribute", value);
  }

  /** A value feed wraps in `<![CDATA[…]]>`; it comes out as escaped text instead. */
  cdata(value: string): string {
    return this.#hold("cdata", value);
  }

  /** Replaces every token in `skeleton`; throws if feed put one where we did not expect it. */
  fill(skeleton: string): string {
    const filled = skeleton.replace(TOKEN, (_match, cdataIndex?: string, bareIndex?: string) => {
      const inCdata = cdataIndex !== undefined;
      const slot = this.#slots[Number(inCdata ? cdataIndex : bareIndex)];
      if (slot === undefined || (slot.kind === "cdata") !== inCdata) {
        throw new Error("feed output changed shape: a placeholder is out of place");
      }
      return slot.kind === "attribute" ? escapeXmlAttribute(slot.value) : escapeXmlText(slot.value);
    });
    if (filled.includes(TOKEN_START) || filled.includes(TOKEN_END)) {
      throw new Error("feed output changed shape: a placeholder was mangled");
    }
    return filled;
  }

  #hold(kind: SlotKind, value: string): string {
    this.#slots.push({ kind, value });
    return `${TOKEN_START}${this.#slots.length - 1}${TOKEN_END}`;
  }
}

/**
 * Adds attributes (namespace declarations, `xml:lang`) to the root element of a skeleton, skipping
 * any the root already has. feed declares namespaces only when it thinks it needs them (e.g. `dc`
 * only when an item has content), and offers no way to add our own (`media`).
 * Values must already be escaped (or be `XmlSlots` tokens).
 */
export function addRootAttributes(
  skeleton: string,
  attributes: Readonly<Record<string, string>>,
): string {
  const root = /<(?![?!])[^>]*?(?=\/?>)/.exec(skeleton);
  if (root === null) throw new Error("feed output has no root element");
  const missing = Object.entries(attributes)
    .filter(([name]) => !root[0].includes(` ${name}=`))
    .map(([name, value]) => ` ${name}="${value}"`)
    .join("");
  const end = root.index + root[0].length;
  return skeleton.slice(0, end) + missing + skeleton.slice(end);
}

/**
 * A small RFC 8941 (Structured Field Values for HTTP) parser and serializer: just enough for
 * RFC 9421 `Signature-Input` / `Signature` / `Accept-Signature` and RFC 9530 `Content-Digest`
 * dictionaries. Dates and display strings (RFC 9651) are not supported.
 */

/** An sf-token (unquoted), kept apart from sf-string so it round-trips. */
export class SfToken {
  constructor(readonly value: string) {}
}

export type SfBareItem = number | string | SfToken | Uint8Array | boolean;
export type SfParams = Map<string, SfBareItem>;
export interface SfItem {
  readonly value: SfBareItem;
  readonly params: SfParams;
}
export interface SfInnerList {
  readonly items: SfItem[];
  readonly params: SfParams;
}
export type SfMember = SfItem | SfInnerList;
export type SfDictionary = Map<string, SfMember>;

export class SfParseError extends Error {
  override name = "SfParseError";
}

export const isInnerList = (member: SfMember): member is SfInnerList => "items" in member;

class Parser {
  private pos = 0;
  constructor(private readonly input: string) {}

  private peek(): string {
    return this.input[this.pos] ?? "";
  }

  private fail(what: string): never {
    throw new SfParseError(`${what} at offset ${this.pos} of ${JSON.stringify(this.input)}`);
  }

  private skipSp(): void {
    while (this.peek() === " ") this.pos++;
  }

  private skipOws(): void {
    while (this.peek() === " " || this.peek() === "\t") this.pos++;
  }

  atEnd(): boolean {
    return this.pos >= this.input.length;
  }

  dictionary(): SfDictionary {
    const dict: SfDictionary = new Map();
    this.skipSp();
    while (!this.atEnd()) {
      const key = this.key();
      let member: SfMember;
      if (this.peek() === "=") {
        this.pos++;
        member = this.itemOrInnerList();
      } else {
        member = { value: true, params: this.params() };
      }
      dict.set(key, member);
      this.skipOws();
      if (this.atEnd()) return dict;
      if (this.peek() !== ",") this.fail("expected ','");
      this.pos++;
      this.skipOws();
      if (this.atEnd()) this.fail("trailing ','");
    }
    return dict;
  }

  list(): SfMember[] {
    const list: SfMember[] = [];
    this.skipSp();
    while (!this.atEnd()) {
      list.push(this.itemOrInnerList());
      this.skipOws();
      if (this.atEnd()) return list;
      if (this.peek() !== ",") this.fail("expected ','");
      this.pos++;
      this.skipOws();
      if (this.atEnd()) this.fail("trailing ','");
    }
    return list;
  }

  itemOrInnerList(): SfMember {
    return this.peek() === "(" ? this.innerList() : this.item();
  }

  private innerList(): SfInnerList {
    this.pos++; // (
    const items: SfItem[] = [];
    while (!this.atEnd()) {
      this.skipSp();
      if (this.peek() === ")") {
        this.pos++;
        return { items, params: this.params() };
      }
      items.push(this.item());
      const next = this.peek();
      if (next !== " " && next !== ")") this.fail("expected ' ' or ')' in inner list");
    }
    return this.fail("unterminated inner list");
  }

  item(): SfItem {
    const value = this.bareItem();
    return { value, params: this.params() };
  }

  private params(): SfParams {
    const params: SfParams = new Map();
    while (this.peek() === ";") {
      this.pos++;
      this.skipSp();
      const key = this.key();
      let value: SfBareItem = true;
      if (this.peek() === "=") {
        this.pos++;
        value = this.bareItem();
      }
      params.set(key, value);
    }
    return params;
  }

  private key(): string {
    const match = /^[a-z*][a-z0-9_.*-]*/.exec(this.input.slice(this.pos));
    if (!match) this.fail("expected a key");
    this.pos += match[0].length;
    return match[0];
  }

  private bareItem(): SfBareItem {
    const c = this.peek();
    if (c === "-" || (c >= "0" && c <= "9")) return this.number();
    if (c === '"') return this.string();
    if (c === ":") return this.bytes();
    if (c === "?") return this.boolean();
    if (/[A-Za-z*]/.test(c)) return this.token();
    return this.fail("expected a bare item");
  }

  private number(): number {
    const match = /^-?(\d+)(?:\.(\d+))?/.exec(this.input.slice(this.pos));
    if (!match) this.fail("expected a number");
    const [text, intPart = "", fraction] = match;
    if (fraction === undefined ? intPart.length > 15 : intPart.length > 12 || fraction.length > 3) {
      this.fail("number out of range");
    }
    this.pos += text.length;
    return Number(text);
  }

  private string(): string {
    this.pos++; // "
    let out = "";
    while (!this.atEnd()) {
      const c = this.peek();
      this.pos++;
      if (c === "\\") {
        const next = this.peek();
        if (next !== '"' && next !== "\\") this.fail("bad escape in string");
        out += next;
        this.pos++;
      } else if (c === '"') {
        return out;
      } else {
        const code = c.charCodeAt(0);
        if (code < 0x20 || code > 0x7e) this.fail("bad character in string");
        out += c;
      }
    }
    return this.fail("unterminated string");
  }

  private token(): SfToken {
    const match = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*/.exec(this.input.slice(this.pos));
    if (!match) this.fail("expected a token");
    this.pos += match[0].length;
    return new SfToken(match[0]);
  }

  private bytes(): Uint8Array {
    this.pos++; // :
    const end = this.input.indexOf(":", this.pos);
    if (end < 0) this.fail("unterminated byte sequence");
    const b64 = this.input.slice(this.pos, end);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) this.fail("bad base64 in byte sequence");
    this.pos = end + 1;
    return new Uint8Array(Buffer.from(b64, "base64"));
  }

  private boolean(): boolean {
    this.pos++; // ?
    const c = this.peek();
    if (c !== "0" && c !== "1") this.fail("bad boolean");
    this.pos++;
    return c === "1";
  }
}

/** Parses a Structured Field Dictionary; throws `SfParseError` on malformed input. */
export function parseSfDictionary(input: string): SfDictionary {
  return new Parser(input.trim()).dictionary();
}

/** Parses a Structured Field List; throws `SfParseError` on malformed input. */
export function parseSfList(input: string): SfMember[] {
  return new Parser(input.trim()).list();
}

/** Parses a single Structured Field Item; throws `SfParseError` on malformed input. */
export function parseSfItem(input: string): SfItem {
  const parser = new Parser(input.trim());
  const item = parser.item();
  if (!parser.atEnd()) throw new SfParseError(`trailing characters in ${JSON.stringify(input)}`);
  return item;
}

export function serializeBareItem(value: SfBareItem): string {
  if (typeof value === "boolean") return value ? "?1" : "?0";
  if (typeof value === "number") {
    if (Number.isInteger(value)) return String(value);
    return String(Math.round(value * 1000) / 1000);
  }
  if (typeof value === "string") return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  if (value instanceof SfToken) return value.value;
  return `:${Buffer.from(value).toString("base64")}:`;
}

export function serializeParams(params: SfParams): string {
  let out = "";
  for (const [key, value] of params) {
    out += value === true ? `;${key}` : `;${key}=${serializeBareItem(value)}`;
  }
  return out;
}

export function serializeItem(item: SfItem): string {
  return serializeBareItem(item.value) + serializeParams(item.params);
}

export function serializeInnerList(list: SfInnerList): string {
  return `(${list.items.map(serializeItem).join(" ")})${serializeParams(list.params)}`;
}

export function serializeMember(member: SfMember): string {
  return isInnerList(member) ? serializeInnerList(member) : serializeItem(member);
}

export function serializeSfDictionary(dict: SfDictionary): string {
  return [...dict]
    .map(([key, member]) =>
      !isInnerList(member) && member.value === true
        ? key + serializeParams(member.params)
        : `${key}=${serializeMember(member)}`,
    )
    .join(", ");
}

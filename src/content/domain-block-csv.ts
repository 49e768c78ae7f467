import { BLOCK_SEVERITIES, type BlockSeverity, normalizeDomain } from "../domain/blocks.ts";

/** One line of Mastodon's domain-block export, as a block to make (or `noop`, skipped). */
export interface DomainBlockRow {
  readonly line: number;
  readonly domain: string;
  readonly severity: BlockSeverity | "noop";
  readonly rejectMedia: boolean;
  readonly rejectReports: boolean;
  readonly comment: string | null;
}

export type CsvParseResult =
  | { readonly ok: true; readonly rows: readonly DomainBlockRow[] }
  | { readonly ok: false; readonly line: number; readonly detail: string };

/** The header Mastodon writes (Administration > Federation > Export). */
export const MASTODON_DOMAIN_BLOCK_HEADER = [
  "#domain",
  "#severity",
  "#reject_media",
  "#reject_reports",
  "#public_comment",
  "#obfuscate",
] as const;

const MAX_ROWS = 100_000;

/**
 * Parses Mastodon's domain-block CSV export (RFC 4180: quoted fields, doubled quotes, CRLF or
 * LF). The whole file or nothing: the first bad line is the answer, with its number (1 is the
 * header). Columns are found by the header's names, so their order does not matter; `#domain`
 * and `#severity` are required, the rest optional. Obfuscated domains (`exa*le.com`, shown so
 * in Mastodon's public list) are refused: a block needs the real name.
 */
export function parseDomainBlockCsv(text: string): CsvParseResult {
  const records = parseCsv(text.replace(/^\uFEFF/, ""));
  if (!records.ok) return records;
  const [header, ...lines] = records.rows;
  if (!header) return { ok: false, line: 1, detail: "the file is empty" };
  const names = header.fields.map((name) => name.trim().toLowerCase());
  const column = (name: string) => names.indexOf(name);
  for (const required of ["#domain", "#severity"]) {
    if (column(required) < 0) {
      return {
        ok: false,
        line: header.line,
        detail: `the header has no ${required} column (expected ${MASTODON_DOMAIN_BLOCK_HEADER.join(",")})`,
      };
    }
  }
  if (lines.length > MAX_ROWS) {
    return { ok: false, line: MAX_ROWS + 2, detail: `at most ${MAX_ROWS} domains per file` };
  }
  const rows: DomainBlockRow[] = [];
  const seen = new Map<string, number>();
  for (const { line, fields } of lines) {
    if (fields.length === 1 && fields[0]?.trim() === "") continue; // a blank line
    if (fields.length !== names.length) {
      return {
        ok: false,
        line,
        detail: `has ${fields.length} fields; the header has ${names.length}`,
      };
    }
    const field = (name: string) => fields[column(name)]?.trim() ?? "";
    const domain = normalizeDomain(field("#domain"));
    if (!domain) {
      return { ok: false, line, detail: `"${field("#domain")}" is not a domain name` };
    }
    const first = seen.get(domain);
    if (first !== undefined) {
      return { ok: false, line, detail: `${domain} is listed twice (first on line ${first})` };
    }
    seen.set(domain, line);
    const severity = field("#severity").toLowerCase();
    if (severity !== "noop" && !(BLOCK_SEVERITIES as readonly string[]).includes(severity)) {
      return {
        ok: false,
        line,
        detail: `severity "${field("#severity")}" is not suspend, silence or noop`,
      };
    }
    const flags: Record<string, boolean> = {};
    for (const name of ["#reject_media", "#reject_reports"]) {
      const value = column(name) < 0 ? "false" : field(name).toLowerCase();
      if (value !== "true" && value !== "false" && value !== "") {
        return { ok: false, line, detail: `${name} must be true or false (got "${value}")` };
      }
      flags[name] = value === "true";
    }
    const comment = column("#public_comment") < 0 ? "" : field("#public_comment");
    rows.push({
      line,
      domain,
      severity: severity as DomainBlockRow["severity"],
      rejectMedia: flags["#reject_media"] ?? false,
      rejectReports: flags["#reject_reports"] ?? false,
      comment: comment === "" ? null : comment.slice(0, 1000),
    });
  }
  return { ok: true, rows };
}

type Records =
  | { ok: true; rows: { line: number; fields: string[] }[] }
  | { ok: false; line: number; detail: string };

/** RFC 4180 records, each with the line it starts on. */
function parseCsv(text: string): Records {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    fields.push(field);
    rows.push({ line: recordLine, fields });
    fields = [];
    field = "";
  };
  while (i < text.length) {
    const char = text[i];
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = text[i];
        if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
          return { ok: false, line, detail: "text after a closing quote" };
        }
        continue;
      }
      if (char === "\n") line++;
      field += char;
      i++;
      continue;
    }
    if (char === '"') {
      if (field !== "") return { ok: false, line, detail: "a quote inside an unquoted field" };
      quoted = true;
    } else if (char === ",") {
      fields.push(field);
      field = "";
    } else if (char === "\r" || char === "\n") {
      if (char === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      recordLine = line;
    } else field += char;
    i++;
  }
  if (quoted) return { ok: false, line: recordLine, detail: "a quoted field is never closed" };
  if (field !== "" || fields.length > 0) endRecord();
  return { ok: true, rows };
}

/**
 * A second, strict XML parser for feed documents: expat, through Python's ElementTree,
 * namespace-aware. fast-xml-parser's validator checks neither characters nor namespace
 * prefixes. python3 is on every machine this project runs on (Debian); a missing one fails.
 */
import { spawnSync } from "node:child_process";
import { expect } from "vitest";

const PYTHON_CHECK = `
import json, sys
import xml.etree.ElementTree as ET
ATOM = "{http://www.w3.org/2005/Atom}"
HISTORY = "{http://purl.org/syndication/history/1.0}"
results = []
for doc in json.load(sys.stdin):
    try:
        root = ET.fromstring(doc.encode("utf-8"))
        title = root.find("channel/item/title")
        head = root.find("channel") if root.tag == "rss" else root
        results.append({
            "ok": True,
            "title": None if title is None else (title.text or ""),
            "archive": head.find(HISTORY + "archive") is not None,
            "rels": [link.get("rel") for link in head.findall(ATOM + "link")],
        })
    except ET.ParseError as error:
        results.append({"ok": False, "error": str(error)})
json.dump(results, sys.stdout)
`;

export interface ExpatResult {
  readonly ok: boolean;
  /** RSS only: the first item's title. */
  readonly title?: string | null;
  /** Whether the channel (RSS) or feed (Atom) holds RFC 5005's `fh:archive`. */
  readonly archive?: boolean;
  /** The `rel` of each Atom-namespace link of the channel or feed, in order. */
  readonly rels?: (string | null)[];
  readonly error?: string;
}

/** Parses each document with expat; one result per document, in order. */
export function parseWithExpat(documents: readonly string[]): ExpatResult[] {
  const run = spawnSync("python3", ["-c", PYTHON_CHECK], {
    input: JSON.stringify(documents),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(run.stderr).toBe("");
  return JSON.parse(run.stdout) as ExpatResult[];
}

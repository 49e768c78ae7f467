import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { UsageError } from "./errors.ts";

/** Flags every command takes. */
export const COMMON_OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsOptionsConfig;

export const COMMON_USAGE = `Common options:
  --url URL        the Tidings server (default: $TIDINGS_URL, else http://localhost:8000)
  --token TOKEN    the admin token (default: $ADMIN_TOKEN)
  --json           print machine-readable JSON on stdout
  -h, --help       show this help`;

/** Strict parsing of one command's arguments; every mistake becomes a UsageError (exit 2). */
export function parseCommandArgs<const O extends ParseArgsOptionsConfig>(
  args: readonly string[],
  options: O,
  usage: string,
) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(describeParseError(error), usage);
  }
}

function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const text = message ?? String(error);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const option = /'([^']+)'/.exec(text)?.[1];
    return option ? `unknown option ${option}` : text;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const option = /'(-[^' ]+)/.exec(text)?.[1];
    return option ? `option ${option} needs a value` : text;
  }
  return text;
}

/** Exactly `count` positional arguments, else a UsageError naming what is missing or extra. */
export function expectPositionals(
  positionals: readonly string[],
  names: readonly string[],
  usage: string,
): string[] {
  if (positionals.length < names.length) {
    throw new UsageError(`missing ${names.slice(positionals.length).join(" and ")}`, usage);
  }
  if (positionals.length > names.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[names.length])}`, usage);
  }
  return [...positionals];
}

/** A positive whole number option (`--limit 20`). */
export function positiveInteger(value: string | undefined, name: string, usage: string) {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`--${name} must be a positive whole number (got ${value})`, usage);
  }
  return Number(value);
}

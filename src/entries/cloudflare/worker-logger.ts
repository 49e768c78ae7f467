import type { LogLevel } from "../../config.ts";
import type { Logger } from "../../logger.ts";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * The Logger for Workers: one object per event through the console method of its level, which
 * Workers Logs (and `wrangler tail`) keep as structured, searchable fields — where the Node
 * logger writes text lines to stderr, which Workers would file as errors whatever the level.
 */
export function createWorkerLogger(level: LogLevel, output: Console = console): Logger {
  const log = (at: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[level]) return;
    output[at]({ level: at, message, ...serializeErrors(fields) });
  };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

/** Errors do not survive structured logging as they are (their fields are not enumerable). */
function serializeErrors(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!fields) return {};
  return JSON.parse(
    JSON.stringify(fields, (_key, value: unknown) =>
      value instanceof Error
        ? { name: value.name, message: value.message, stack: value.stack, cause: value.cause }
        : typeof value === "bigint"
          ? value.toString()
          : value,
    ),
  ) as Record<string, unknown>;
}

import { CliError } from "../errors.ts";

/** A JSON file holding the admin API's article JSON (`POST /admin/articles`). */
export function articleFromJson(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CliError(`${file} must hold one JSON object (the article's fields)`);
  }
  return value as Record<string, unknown>;
}

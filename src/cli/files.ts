import { readFile } from "node:fs/promises";
import { CliError } from "./errors.ts";

/** Reads a UTF-8 file, with a plain-words error for the usual failures. */
export async function readTextFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT") throw new CliError(`no such file: ${file}`);
    if (code === "EISDIR") throw new CliError(`${file} is a directory, not a file`);
    if (code === "EACCES") throw new CliError(`cannot read ${file}: permission denied`);
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

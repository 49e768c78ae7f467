import type { Output } from "./output.ts";

export interface CommandContext {
  readonly out: Output;
  readonly env: NodeJS.ProcessEnv;
}

/** One `tidings` command: parses its own arguments, returns the exit code. */
export interface Command {
  /** As typed: `push`, `feed create`. */
  readonly name: string;
  /** One line for `tidings --help`. */
  readonly synopsis: string;
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[], context: CommandContext): Promise<number>;
}

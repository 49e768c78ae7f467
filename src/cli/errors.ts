/** Wrong use of the command line: unknown command or flag, missing argument. Exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(
    message: string,
    /** The usage text of the command that was misused, shown under the message. */
    readonly usage?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** The command could not do its job (server unreachable, refused, file missing…). Exit code 1. */
export class CliError extends Error {
  readonly exitCode: number = 1;
  constructor(
    message: string,
    /** Further lines shown indented under the message, e.g. one per invalid field. */
    readonly details: readonly string[] = [],
    /** What `--json` prints on stdout for this failure. */
    readonly json: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "CliError";
  }
}

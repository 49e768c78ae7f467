/**
 * What a benchmark scenario is. A scenario is one file, `bench/scenarios/NAME.ts`, whose default
 * export is a `Scenario`; `bench/run.ts` finds it there (its helpers go in
 * `bench/scenarios/NAME/`). It starts what it measures with the harness (child processes,
 * PostgreSQL, Tidings), measures it next to a baseline from the same run, and returns its
 * results (written to bench/results/NAME.json) and its section of the printed report.
 */
import type pg from "pg";
import type { Child } from "./children.ts";
import type { BenchPostgres } from "./postgres.ts";
import type { QuietWaiter } from "./procfs.ts";

export interface Scenario {
  /** The name on the command line (`npm run bench -- NAME`) and of its results file. */
  readonly name: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** The command-line flags it reads besides `--quick`, with what they do. */
  readonly flags?: Readonly<Record<string, string>>;
  /** The watchdog stops everything once a run takes longer (BENCH_TIMEOUT_MINUTES overrides). */
  readonly timeoutMinutes: number;
  run(context: BenchContext): Promise<ScenarioOutcome>;
}

export interface ScenarioOutcome {
  /** JSON-serialisable figures and settings. */
  readonly results: object;
  /** The scenario's section of the report (stdout). */
  readonly report: string;
}

export interface BenchContext {
  /** `--quick`: short runs that check the bench works; the figures mean little. */
  readonly quick: boolean;
  /** The command-line flags given (those in `Scenario.flags`). */
  readonly flags: ReadonlySet<string>;
  /** Progress (stderr), prefixed with the scenario's name. */
  log(line: string): void;
  /** A fresh temporary directory, deleted after the scenario. */
  readonly workDir: string;
  /** Runs `cleanup` after the scenario however it ends, the latest first. */
  defer(cleanup: () => Promise<unknown>): void;
  /** Waits for other load to pass, on the scenario's budget (BENCH_QUIET_BUDGET_SECONDS). */
  readonly quiet: QuietWaiter;
}

/** A positive number from the environment, else `fallback`. */
export function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** A text setting from the environment (a scenario's own knob), else `fallback`. */
export function envText(name: string, fallback: string): string {
  return process.env[name] || fallback;
}

/** A comma-separated list of numbers from the environment, else `fallback`. */
export function envNumbers(name: string, fallback: readonly number[]): number[] {
  const value = process.env[name];
  return value ? value.split(",").map((item) => Number(item.trim())) : [...fallback];
}

/**
 * What every measurement of a scenario with a receiving farm and a raw sender needs: the
 * processes and the bench's own database connection.
 */
export interface FarmRig<Ready> {
  readonly context: BenchContext;
  readonly postgres: BenchPostgres;
  readonly db: pg.Pool;
  readonly farm: Child;
  readonly raw: Child;
  readonly ready: Ready;
}

/**
 * `npm run bench`: runs the scenarios in bench/scenarios/ one after the other (bench/README.md).
 *
 *   npm run bench                    every scenario (a full run takes about 12 minutes)
 *   npm run bench -- serving         the scenarios named (or --only=serving,fanout)
 *   npm run bench -- --quick         short runs, to check that the bench itself works
 *   npm run bench -- --help          the scenarios and their flags
 *
 * Each scenario's section of the report goes to stdout (progress to stderr) and its results to
 * bench/results/NAME.json. Every child process is stopped after each scenario, on error, on
 * Ctrl-C, and by a watchdog when a scenario runs longer than it should.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describeChildren, REPO_ROOT, stopAllChildren } from "./harness/children.ts";
import { QuietWaiter } from "./harness/procfs.ts";
import { type BenchContext, envNumber, type Scenario } from "./harness/scenario.ts";

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function loadScenarios(): Promise<Scenario[]> {
  const dir = path.join(import.meta.dirname, "scenarios");
  const files = (await readdir(dir)).filter((name) => name.endsWith(".ts")).sort();
  return Promise.all(files.map(async (file) => (await import(path.join(dir, file))).default));
}

/**
 * The machine may be shared: give this process, and so every process it starts (servers, load
 * generators, PostgreSQL), a higher scheduling priority; all get the same, so comparisons stay
 * fair. BENCH_NICE=0 turns it off.
 */
function raisePriority(): string {
  const nice = Number(process.env.BENCH_NICE ?? -10);
  if (nice === 0) return "normal (BENCH_NICE=0)";
  try {
    os.setPriority(nice);
    return `nice ${nice} for the bench and everything it starts, over other users of the machine`;
  } catch {
    return "normal (could not raise the priority; not root?)";
  }
}

let cleanUpCurrent: (() => Promise<void>) | undefined;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping everything`);
    (cleanUpCurrent?.() ?? stopAllChildren()).finally(() => process.exit(130));
  });
}

async function runScenario(scenario: Scenario, flags: ReadonlySet<string>): Promise<boolean> {
  const startedAt = new Date();
  const say = (line: string) => log(`${scenario.name}: ${line}`);
  const cleanups: (() => Promise<unknown>)[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = () => {
    cleaning ??= (async () => {
      for (const cleanup of cleanups.reverse()) {
        await cleanup().catch((error: unknown) => say(`cleanup: ${String(error)}`));
      }
      await stopAllChildren();
    })();
    return cleaning;
  };
  cleanUpCurrent = cleanUp;
  const minutes = envNumber("BENCH_TIMEOUT_MINUTES", scenario.timeoutMinutes);
  const watchdog = setTimeout(() => {
    say(`still running after ${minutes} minutes: stopping everything`);
    cleanUp().finally(() => process.exit(1));
  }, minutes * 60_000);
  try {
    const workDir = await mkdtemp(path.join(os.tmpdir(), `tidings-bench-${scenario.name}-`));
    cleanups.push(() => rm(workDir, { recursive: true, force: true }));
    const context: BenchContext = {
      quick: flags.has("--quick"),
      flags,
      log: say,
      workDir,
      defer: (cleanup) => cleanups.push(cleanup),
      quiet: new QuietWaiter(envNumber("BENCH_QUIET_BUDGET_SECONDS", 60) * 1000, say),
    };
    const { results, report } = await scenario.run(context);
    const durationSeconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
    const file = path.join(REPO_ROOT, "bench/results", `${scenario.name}.json`);
    await mkdir(path.dirname(file), { recursive: true });
    const json = {
      scenario: scenario.name,
      startedAt,
      durationSeconds,
      quick: context.quick,
      results,
    };
    await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
    console.log(
      `\n${report}\n\n  results: ${path.relative(process.cwd(), file)} (${durationSeconds} s)`,
    );
    return true;
  } catch (error) {
    say(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    say(`child processes:\n${describeChildren()}`);
    return false;
  } finally {
    clearTimeout(watchdog);
    await cleanUp();
  }
}

const scenarios = await loadScenarios();
const args = process.argv.slice(2);
const only = args
  .filter((arg) => arg.startsWith("--only="))
  .flatMap((arg) => arg.slice(7).split(","));
const names = [...args.filter((arg) => !arg.startsWith("--")), ...only];
const selected = names.length > 0 ? scenarios.filter((s) => names.includes(s.name)) : scenarios;
const flags = new Set(args.filter((arg) => arg.startsWith("--") && !arg.startsWith("--only=")));
const known = new Set([
  "--quick",
  "--help",
  ...selected.flatMap((s) => Object.keys(s.flags ?? {})),
]);
const unknown = [
  ...names.filter((name) => !scenarios.some((s) => s.name === name)),
  ...[...flags].filter((f) => !known.has(f)),
];
if (flags.has("--help") || unknown.length > 0) {
  if (unknown.length > 0) log(`unknown: ${unknown.join(", ")}`);
  const lines = scenarios.flatMap((s) => [
    `  ${s.name.padEnd(10)} ${s.summary}`,
    ...Object.entries(s.flags ?? {}).map(([flag, what]) => `    ${flag.padEnd(14)} ${what}`),
  ]);
  console.log(
    `usage: npm run bench -- [SCENARIO...] [--only=A,B] [--quick] [FLAGS]\n${lines.join("\n")}`,
  );
  process.exit(unknown.length > 0 ? 2 : 0);
}

const priority = raisePriority();
console.log(
  `Tidings benchmark, ${new Date().toISOString()}: ${selected.map((s) => s.name).join(", ")}${flags.has("--quick") ? " (--quick)" : ""}\n` +
    `  node ${process.version}; ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model.trim() ?? "?"}), ` +
    `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM; priority: ${priority}`,
);
let failed = 0;
for (const scenario of selected) if (!(await runScenario(scenario, flags))) failed++;
process.exitCode = failed > 0 ? 1 : 0;

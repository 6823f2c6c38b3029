/** Helpers for the CLI tests: spawn the real `soniq` CLI, write job modules outside the repo, poll. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { waitFor as waitForCondition } from "../helpers/db.ts";

export const REPO = resolve(import.meta.dir, "../..");
export const LIBRARY_ENTRY = join(REPO, "src/index.ts");
export const CLI = ["bun", join(REPO, "bin/soniq.ts")];

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment for a child CLI: no inherited SONIQ_* settings except what the test gives. */
export function cliEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || (key.startsWith("SONIQ_") && key !== "SONIQ_TEST_DATABASE_URL")) continue;
    env[key] = value;
  }
  env.NO_COLOR = "1";
  env.SONIQ_LOG_LEVEL = "warn";
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** The command to run instead of `bun bin/soniq.ts` (the compiled binary). */
  command?: string[];
  timeoutMs?: number;
}

/** Run the CLI to completion (stdin is not a TTY). */
export async function runCli(args: string[], options: SpawnOptions = {}): Promise<RunResult> {
  const proc = Bun.spawn([...(options.command ?? CLI), ...args], {
    cwd: options.cwd ?? REPO,
    env: cliEnv(options.env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A long-running CLI process whose output is collected as it arrives. */
export interface LiveProcess {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  output(): string;
  exited: Promise<number>;
}

export function startCli(args: string[], options: SpawnOptions = {}): LiveProcess {
  const proc = Bun.spawn([...(options.command ?? CLI), ...args], {
    cwd: options.cwd ?? REPO,
    env: cliEnv(options.env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
  return { proc, output: () => text, exited: pumps.then(() => proc.exited) };
}

/** Resolve with the exit code, or kill the process and fail after `ms`. */
export async function exitWithin(live: LiveProcess, ms: number): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      live.proc.kill("SIGKILL");
      reject(new Error(`process did not exit within ${ms} ms; output:\n${live.output()}`));
    }, ms);
  });
  try {
    return await Promise.race([live.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const tempDirs: string[] = [];

/** A fresh directory outside the repository (no node_modules anywhere above it). */
export function outsideDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "soniq-cli-"));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * A TypeScript job module importing the library from `importFrom` (an absolute path to
 * src/index.ts, or "soniq" for the compiled binary). Jobs: `cli.add`, `cli.slow`, `cli.fail`.
 */
export function jobModuleSource(importFrom: string): string {
  return `import { Soniq, Type } from ${JSON.stringify(importFrom)};

export const app = new Soniq({ databaseUrl: process.env.SONIQ_DATABASE_URL });

export const add = app.job(
  { name: "cli.add", validate: Type.Object({ a: Type.Number(), b: Type.Number() }) },
  async ({ a, b }) => a + b,
);

export const slow = app.job({ name: "cli.slow", timeout: 0 }, async ({ ms }: { ms: number }) => {
  console.log("cli.slow started"); // tests wait for this: "processing" is visible before the handler starts
  await Bun.sleep(ms);
  return "slept";
});

export const fail = app.job({ name: "cli.fail", retries: 0 }, async () => {
  throw new Error("always fails");
});
`;
}

/** Write the job module into `dir` and return its path. */
export function writeJobModule(dir: string, importFrom: string = LIBRARY_ENTRY, name = "jobs.ts"): string {
  const path = join(dir, name);
  writeFileSync(path, jobModuleSource(importFrom));
  return path;
}

/** The shared poller, with the longer default a spawned CLI needs. */
export function waitFor<T>(fn: () => Promise<T> | T, options: { timeout?: number; interval?: number; message?: string } = {}): Promise<NonNullable<T>> {
  return waitForCondition(fn, { timeout: 30_000, interval: 50, ...options });
}

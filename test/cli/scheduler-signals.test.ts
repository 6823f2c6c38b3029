/**
 * `soniq scheduler` stops gracefully on SIGHUP too (a closed terminal), like SIGINT/SIGTERM,
 * and so does `app.runScheduler()` in a process of its own. Real child processes, SQLite files.
 */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { Soniq } from "../../src/index.ts";
import { exitWithin, LIBRARY_ENTRY, outsideDir, removeTempDirs, startCli, waitFor } from "./helpers.ts";

const JOBS = join(import.meta.dir, "..", "fixtures", "scheduler", "jobs.ts");
afterAll(() => removeTempDirs());

async function database(): Promise<{ url: string; app: Soniq }> {
  const url = `sqlite:${join(outsideDir(), "sched.db")}`;
  const app = new Soniq({ databaseUrl: url, logLevel: "silent", enqueueValidation: "none" });
  await app.setup();
  return { url, app };
}

test("soniq scheduler: SIGHUP stops it after the current check, exit 0", async () => {
  const { url, app } = await database();
  try {
    const live = startCli(["scheduler", "--jobs-modules", JOBS, "--check-interval", "0.2", "--database-url", url]);
    await waitFor(async () => (await app.listJobs({ jobName: "cli.beat" })).length >= 1, { timeout: 20_000, message: "a first beat" });
    live.proc.kill("SIGHUP");
    expect(await exitWithin(live, 15_000)).toBe(0);
    expect(live.output()).toContain("SIGHUP received");
    expect(live.output()).toMatch(/soniq scheduler: stopped after \d+ checks?/);
  } finally {
    await app.close();
  }
}, 40_000);

test("app.runScheduler() handles SIGHUP like SIGTERM: a graceful stop", async () => {
  const { url, app } = await database();
  try {
    await app.scheduler.add({ name: "hup.tick", every: 1 });
    const script = `import { Soniq } from ${JSON.stringify(LIBRARY_ENTRY)};
const app = new Soniq({ databaseUrl: ${JSON.stringify(url)}, logLevel: "silent", enqueueValidation: "none" });
const summary = await app.runScheduler({ checkInterval: 0.2 });
console.log("stopped after " + summary.ticks);
await app.close();
`;
    const proc = Bun.spawn(["bun", "-e", script], { stdout: "pipe", stderr: "pipe" });
    let out = "";
    const pump = (async () => {
      for await (const chunk of proc.stdout) out += new TextDecoder().decode(chunk);
    })();
    // The schedule fired: the loop (and its signal handlers) is running.
    await waitFor(async () => (await app.listJobs({ jobName: "hup.tick" })).length >= 1, { timeout: 20_000, message: "the scheduler to fire" });
    proc.kill("SIGHUP");
    const code = await proc.exited;
    await pump;
    expect(code).toBe(0);
    expect(proc.signalCode).toBeNull();
    expect(out).toContain("stopped after");
  } finally {
    await app.close();
  }
}, 40_000);

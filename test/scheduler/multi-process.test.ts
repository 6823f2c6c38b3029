/**
 * Several real scheduler processes on one Postgres database: exactly one job per tick, and a
 * survivor takes over when the leader is killed. Each child is test/fixtures/scheduler/run-scheduler.ts
 * (an `every: 1` periodic job, `runScheduler({ checkInterval: 0.1 })`).
 */
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { Soniq } from "../../src/index.ts";
import type { JobRecord } from "../../src/backends/types.ts";
import { freshDatabase } from "../helpers/db.ts";

const FIXTURE = join(import.meta.dir, "..", "fixtures", "scheduler", "run-scheduler.ts");
const ROOT = join(import.meta.dir, "..", "..");
const NAME = "multi.tick";

interface Event {
  label: string;
  at: number;
  event: "started" | "fired" | "stopped";
  jobId?: string;
  due?: string;
}

interface Child {
  label: string;
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  events: Event[];
  stderr: Promise<string>;
  done: Promise<void>;
}

const children: Child[] = [];
const apps: Soniq[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    await c.proc.exited;
  }
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function spawnScheduler(url: string, label: string): Child {
  const proc = Bun.spawn(["bun", FIXTURE, url, label, "0.1", "1"], { cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const events: Event[] = [];
  const done = (async () => {
    let buffer = "";
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line.startsWith("{")) events.push(JSON.parse(line) as Event);
      }
    }
  })();
  const child: Child = { label, proc, events, stderr: new Response(proc.stderr).text(), done };
  children.push(child);
  return child;
}

const fired = (c: Child) => c.events.filter((e) => e.event === "fired");

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(50);
  }
}

async function jobsOf(app: Soniq): Promise<JobRecord[]> {
  return (await app.listJobs({ jobName: NAME, limit: 10_000 })).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/** No two jobs closer than 0.5 s (one per 1 s tick), every id once. */
function expectOnePerTick(jobs: JobRecord[]) {
  expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
  for (let i = 1; i < jobs.length; i++) {
    const gap = jobs[i]!.createdAt.getTime() - jobs[i - 1]!.createdAt.getTime();
    expect(gap, `jobs ${i - 1} and ${i} are ${gap} ms apart`).toBeGreaterThan(500);
  }
}

test("two scheduler processes on one database enqueue exactly one job per tick", async () => {
  const url = await freshDatabase();
  const app = new Soniq({ databaseUrl: url, logLevel: "error" });
  apps.push(app);
  const started = Date.now();
  const a = spawnScheduler(url, "a");
  const b = spawnScheduler(url, "b");

  // ~22 s: the first run is 1 s after start, then one per second.
  const runCount = async () => (await app.scheduler.get(NAME))?.runCount ?? 0;
  await waitFor(async () => (await runCount()) >= 21 || Date.now() - started > 24_000, 26_000, "21 runs");
  for (const c of [a, b]) c.proc.kill("SIGTERM");
  await Promise.all([a.proc.exited, b.proc.exited, a.done, b.done]);
  for (const c of [a, b]) {
    expect(c.proc.exitCode, await c.stderr).toBe(0); // graceful stop on SIGTERM
    expect(c.events.at(-1)?.event).toBe("stopped");
    expect(await c.stderr).toBe("");
  }

  const jobs = await jobsOf(app);
  const schedule = (await app.scheduler.get(NAME))!;
  expect(jobs.length).toBeGreaterThanOrEqual(20);
  expect(schedule.runCount).toBe(jobs.length);
  expectOnePerTick(jobs);
  expect(schedule.lastJobId).toBe(jobs.at(-1)!.id);
  expect(schedule.nextRun!.getTime()).toBeGreaterThan(schedule.lastRun!.getTime());

  // What the processes say they fired is exactly what is in the table, each job by one process.
  const reported = [...fired(a), ...fired(b)].map((e) => e.jobId!);
  expect(reported.length).toBe(jobs.length);
  expect(new Set(reported)).toEqual(new Set(jobs.map((j) => j.id)));
  // Each tick's due time was fired once.
  const dues = [...fired(a), ...fired(b)].map((e) => e.due);
  expect(new Set(dues).size).toBe(dues.length);
  if (process.env.SONIQ_TEST_VERBOSE) console.log(`a fired ${fired(a).length}, b fired ${fired(b).length}`);
}, 40_000);

test("killing the leader hands over to the other scheduler", async () => {
  const url = await freshDatabase();
  const app = new Soniq({ databaseUrl: url, logLevel: "error" });
  apps.push(app);
  const a = spawnScheduler(url, "a");
  const b = spawnScheduler(url, "b");
  await waitFor(() => fired(a).length + fired(b).length >= 3, 10_000, "3 runs");

  // The process that fired last holds the lead: kill it without a chance to clean up.
  const last = [...fired(a), ...fired(b)].sort((x, y) => x.at - y.at).at(-1)!;
  const [leader, survivor] = last.label === "a" ? [a, b] : [b, a];
  leader.proc.kill("SIGKILL");
  await leader.proc.exited;
  const killedAt = Date.now();
  const survivorBefore = fired(survivor).length;

  // The survivor takes over (how fast is not asserted: a loaded machine may delay any tick).
  await waitFor(() => fired(survivor).length >= survivorBefore + 3, 20_000, "3 runs by the survivor");
  const handover = fired(survivor)[survivorBefore]!;
  if (process.env.SONIQ_TEST_VERBOSE) console.log(`handover: first run by the survivor ${handover.at - killedAt} ms after the kill`);
  survivor.proc.kill("SIGTERM");
  await Promise.all([survivor.proc.exited, survivor.done]);
  expect(survivor.proc.exitCode, await survivor.stderr).toBe(0);

  const jobs = await jobsOf(app);
  expect((await app.scheduler.get(NAME))!.runCount).toBe(jobs.length);
  expectOnePerTick(jobs);
  // Every reported job is in the table; a SIGKILL right after a commit may lose one report line.
  const reported = [...fired(a), ...fired(b)].map((e) => e.jobId!);
  const ids = new Set(jobs.map((j) => j.id));
  expect(new Set(reported).size).toBe(reported.length);
  for (const id of reported) expect(ids.has(id)).toBe(true);
  expect(jobs.length - reported.length).toBeLessThanOrEqual(1);
}, 60_000);

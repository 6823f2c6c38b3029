/**
 * Recovery with DEFAULT settings (issue: recovery in seconds), real PostgreSQL, worker processes:
 * - a worker killed with -9 mid-job: another worker runs the job again within 45 s, once;
 * - a handler that blocks the event loop for 60 s: its worker's heartbeat thread keeps beating,
 *   so the job is not rescued and runs once;
 * - PostgreSQL stopped for 5 s under load: enqueues fail fast with SONIQ_UNAVAILABLE, nothing is
 *   lost, and work resumes within a couple of seconds of the restart.
 * The tests run concurrently: each waits on real time, not on the CPU.
 */
import { afterAll, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { join } from "node:path";
import postgres from "postgres";
import { ErrorCodes, Soniq, isSoniqError } from "../../src/index.ts";
import { startTestPostgres } from "../helpers/embedded-pg.ts";
import { freshDatabase, waitFor } from "../helpers/db.ts";

const FIXTURE = join(import.meta.dir, "../fixtures/recovery-worker.ts");
const live = new Set<Subprocess>();
afterAll(() => {
  for (const proc of live) proc.kill("SIGKILL");
});

async function spawnWorker(url: string, env: Record<string, string> = {}) {
  const proc = Bun.spawn(["bun", FIXTURE], { env: { ...process.env, SONIQ_DATABASE_URL: url, ...env }, stdout: "pipe", stderr: "inherit" });
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("recovery worker exited before it was ready");
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return proc;
}

async function runsTable(url: string) {
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  await sql`CREATE TABLE IF NOT EXISTS recovery_runs (job_id uuid, attempt int, worker_id uuid, at timestamptz DEFAULT clock_timestamp())`;
  return sql;
}

async function stop(proc: Subprocess) {
  proc.kill("SIGTERM");
  await proc.exited;
}

test.concurrent("kill -9 mid-job with a second worker running: the job runs again within 45 s, once more only", async () => {
  const url = await freshDatabase();
  const sql = await runsTable(url);
  const app = new Soniq({ databaseUrl: url, logLevel: "silent", enqueueValidation: "none" });
  const victim = await spawnWorker(url, { WORK_MS: "600000" });
  const id = await app.enqueue("recovery.work", {});
  await waitFor(async () => (await sql`SELECT 1 FROM recovery_runs WHERE job_id = ${id}`).length === 1, { message: "first run" });
  const other = await spawnWorker(url, { WORK_MS: "5" });
  victim.kill("SIGKILL");
  const killedAt = Date.now();
  await waitFor(async () => (await app.getJob(id))?.status === "done", { timeout: 60_000, interval: 200, message: "the job to run again" });
  const seconds = (Date.now() - killedAt) / 1000;
  console.log(`recovery: killed worker's job done again ${seconds.toFixed(1)} s after kill -9 (default settings)`);
  expect(seconds).toBeLessThanOrEqual(45);
  const runs = await sql`SELECT attempt FROM recovery_runs WHERE job_id = ${id} ORDER BY at`;
  expect(runs.map((r) => r.attempt)).toEqual([1, 2]);
  await stop(other);
  await app.close();
  await sql.end();
}, 120_000);

test.concurrent("a handler that blocks the event loop for 60 s is not rescued (default settings)", async () => {
  const url = await freshDatabase();
  const sql = await runsTable(url);
  const app = new Soniq({ databaseUrl: url, logLevel: "silent", enqueueValidation: "none" });
  const blocked = await spawnWorker(url, { BLOCK_MS: "60000" });
  const watcher = await spawnWorker(url); // a live leader that would rescue a silent worker
  const id = await app.enqueue("recovery.block", {});
  await waitFor(async () => (await app.getJob(id))?.status === "done", { timeout: 100_000, interval: 500, message: "the blocked job to finish" });
  const runs = await sql`SELECT attempt FROM recovery_runs WHERE job_id = ${id}`;
  expect(runs.map((r) => r.attempt)).toEqual([1]);
  expect((await app.getJob(id))!.attempts).toBe(1);
  expect((await app.listWorkers()).filter((w) => w.status === "stopped")).toEqual([]);
  await Promise.all([stop(blocked), stop(watcher)]);
  await app.close();
  await sql.end();
}, 150_000);

test.concurrent("PostgreSQL stopped for 5 s under load: enqueue fails fast, nothing is lost, work resumes within seconds", async () => {
  const cluster = await startTestPostgres({ durable: false });
  try {
    const url = cluster.url;
    const setupApp = new Soniq({ databaseUrl: url, logLevel: "silent" });
    await setupApp.setup();
    await setupApp.close();
    const sql = await runsTable(url);
    await sql.end();
    const worker = await spawnWorker(url, { WORK_MS: "2" });
    const producer = new Soniq({ databaseUrl: url, logLevel: "silent", enqueueValidation: "none" });
    const committed: string[] = [];
    const failures: { ms: number; code: string | undefined }[] = [];
    let producing = true;
    const produce = (async () => {
      while (producing) {
        const started = Date.now();
        try {
          committed.push(...(await producer.enqueueMany("recovery.work", Array.from({ length: 20 }, () => ({})))));
        } catch (error) {
          failures.push({ ms: Date.now() - started, code: isSoniqError(error) ? error.code : undefined });
        }
        await Bun.sleep(50);
      }
    })();
    await Bun.sleep(1500);
    const down = cluster.restart(5000);
    await Bun.sleep(1000);
    // While it is down: one more enqueue, timed.
    const during = Date.now();
    const error = await producer.enqueue("recovery.work", {}).then(() => null, (e) => e);
    const failMs = Date.now() - during;
    await down;
    const backAt = Date.now();
    const probe = await (async () => {
      for (;;) {
        try {
          return await producer.enqueue("recovery.work", {}, { priority: 1 }); // ahead of the backlog
        } catch {
          await Bun.sleep(50);
        }
      }
    })();
    committed.push(probe);
    const check = postgres(url, { max: 1, onnotice: () => {} });
    await waitFor(async () => (await check`SELECT status FROM soniq_jobs WHERE id = ${probe}`)[0]?.status === "done", { timeout: 30_000, interval: 50, message: "a job after the restart" });
    const resumedMs = Date.now() - backAt;
    await Bun.sleep(1000);
    producing = false;
    await produce;
    await waitFor(async () => (await check`SELECT count(*)::int AS n FROM soniq_jobs WHERE status IN ('queued', 'processing')`)[0]!.n === 0, { timeout: 60_000, interval: 200, message: "drain" });
    const done = await check`SELECT count(*)::int AS n FROM soniq_jobs WHERE status = 'done' AND id = ANY(${committed}::uuid[])`;
    const runs = await check`SELECT count(*)::int AS n, count(DISTINCT job_id)::int AS jobs FROM recovery_runs`;
    console.log(
      `outage: enqueue failed in ${failMs} ms (${error?.code}); ${failures.length} producer calls failed (slowest ${Math.max(0, ...failures.map((f) => f.ms))} ms); ` +
        `first job after the restart done ${resumedMs} ms after it; ${committed.length} committed, ${done[0]!.n} done, ${runs[0]!.n} runs`,
    );
    expect(isSoniqError(error, ErrorCodes.UNAVAILABLE)).toBe(true);
    expect(failMs).toBeLessThan(10_000); // bounded by connectTimeout (10 s), not by the outage
    expect(failures.every((f) => f.code === ErrorCodes.UNAVAILABLE)).toBe(true);
    expect(done[0]!.n).toBe(committed.length);
    expect(runs[0]!.jobs).toBe(committed.length);
    expect(resumedMs).toBeLessThan(10_000);
    await stop(worker);
    await producer.close();
    await check.end();
  } finally {
    await cluster.stop();
  }
}, 150_000);

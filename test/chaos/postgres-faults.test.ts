/**
 * Database-side faults on a cluster of the test's own: a PostgreSQL restart mid-run, and
 * pg_terminate_backend of every Soniq connection mid-batch. Workers, LISTEN and producers
 * reconnect by themselves; no committed job is lost or left processing, and none runs twice.
 *
 * Why none may run twice: the only worker is never killed and cannot go stale (heartbeatTimeout is
 * the default 300 s, longer than either test), so nothing rescues its jobs. A lost claim reply only
 * requeues rows the process never started (releaseOrphans keeps what it holds); a lost outcome
 * reply is written again and the owner/attempt guard makes the repeat a no-op. So the bound on
 * duplicate executions these tests' parameters give is 0.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import postgres from "postgres";
import { Soniq } from "../../src/index.ts";
import { startTestPostgres, type TestCluster } from "../helpers/embedded-pg.ts";
import { waitFor } from "../helpers/db.ts";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestPostgres({ durable: false });
});
afterAll(async () => {
  await cluster?.stop();
});

async function database(name: string): Promise<string> {
  const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(cluster.url);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Enqueue continuously, retrying through outages; returns the ids that were committed. */
function produce(app: Soniq, job: string, perTick: number, isRunning: () => boolean) {
  const committed: string[] = [];
  let failures = 0;
  const done = (async () => {
    let n = 0;
    while (isRunning()) {
      try {
        committed.push(...(await app.enqueueMany(job, Array.from({ length: perTick }, () => ({ n: n++ })))));
      } catch {
        failures++;
      }
      await Bun.sleep(20);
    }
  })();
  return { committed, done, failures: () => failures };
}

/** Handler runs per job, keyed by the producer's `n` (each `n` is enqueued in exactly one job). */
class RunCounter {
  private readonly runs = new Map<number, number>();
  record(n: number | undefined): void {
    if (n !== undefined) this.runs.set(n, (this.runs.get(n) ?? 0) + 1);
  }
  /** Executions beyond the first, over all jobs. */
  get duplicates(): number {
    let extra = 0;
    for (const count of this.runs.values()) extra += count - 1;
    return extra;
  }
}

async function assertAllDone(app: Soniq, ids: string[]) {
  await waitFor(async () => (await app.getQueueStats()).queued + (await app.getQueueStats()).processing === 0, { timeout: 60_000, message: "drain" });
  const stats = await app.getQueueStats();
  expect(stats.processing).toBe(0);
  const missing: string[] = [];
  for (const id of ids) if ((await app.getJob(id))?.status !== "done") missing.push(id);
  expect(missing).toEqual([]);
}

test("PostgreSQL restarts mid-run: workers, LISTEN, the scheduler and producers recover with no lost job", async () => {
  const url = await database("restart_db");
  const app = new Soniq({ databaseUrl: url, pollInterval: 30, errorRetryDelay: 0.2, heartbeatInterval: 0.2, logLevel: "silent" });
  await app.setup();
  let ran = 0;
  const runs = new RunCounter();
  app.job({ name: "fault.restart" }, async ({ n }: { n?: number }) => {
    ran++;
    runs.record(n);
    await Bun.sleep(1);
  });
  let ticks = 0;
  app.periodic({ name: "fault.tick", every: 1 }, async () => void ticks++);
  const stopScheduler = new AbortController();
  const scheduling = app.runScheduler({ checkInterval: 0.2, signal: stopScheduler.signal, handleSignals: false });
  const worker = app.createWorker({ concurrency: 10, handleSignals: false });
  const running = worker.run();
  let producing = true;
  const p = produce(app, "fault.restart", 10, () => producing);
  await waitFor(() => ran > 100, { message: "flow before restart" });
  const before = ran;
  await cluster.restart();
  const ticksAtRestart = ticks;
  await waitFor(() => ran > before + 200, { timeout: 30_000, message: "flow after restart" });
  await waitFor(() => ticks >= ticksAtRestart + 2, { timeout: 20_000, message: "scheduler firing after restart" });
  stopScheduler.abort();
  await scheduling;
  producing = false;
  await p.done;
  await assertAllDone(app, p.committed);
  // LISTEN came back: with a 30 s poll interval only a NOTIFY can wake the idle worker this fast.
  const afterRestart = ran;
  const started = Date.now();
  await app.enqueue("fault.restart", {});
  await waitFor(() => ran > afterRestart, { timeout: 10_000, message: "NOTIFY after restart" });
  console.log(
    `chaos restart: ${p.committed.length} jobs committed, ${p.failures()} enqueue attempts failed during the outage, 0 lost; ` +
      `${ran} handler runs, ${runs.duplicates} duplicates; wake-up after restart ${Date.now() - started} ms`,
  );
  expect(runs.duplicates).toBe(0);
  await worker.stop();
  await running;
  await app.close();
}, 120_000);

test("pg_terminate_backend on every Soniq connection mid-batch: no lost job", async () => {
  const url = await database("terminate_db");
  const app = new Soniq({ databaseUrl: url, pollInterval: 0.2, errorRetryDelay: 0.1, heartbeatInterval: 0.2, logLevel: "silent" });
  await app.setup();
  let ran = 0;
  const runs = new RunCounter();
  app.job({ name: "fault.terminate" }, async ({ n }: { n?: number }) => {
    ran++;
    runs.record(n);
  });
  const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
  const worker = app.createWorker({ concurrency: 20, handleSignals: false });
  const running = worker.run();
  let producing = true;
  const p = produce(app, "fault.terminate", 25, () => producing);
  let terminated = 0;
  for (let round = 0; round < 5; round++) {
    await Bun.sleep(400);
    const rows = await admin.unsafe(
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = 'terminate_db' AND application_name = 'soniq'",
    );
    terminated += rows.length;
  }
  await Bun.sleep(500);
  producing = false;
  await p.done;
  await assertAllDone(app, p.committed);
  console.log(
    `chaos terminate: ${terminated} backends terminated over 5 rounds, ${p.committed.length} jobs committed, ${ran} handler runs, ` +
      `${runs.duplicates} duplicates, 0 lost`,
  );
  expect(terminated).toBeGreaterThan(0); // the premise: connections were cut mid-run
  expect(runs.duplicates).toBe(0);
  await worker.stop();
  await running;
  await admin.end();
  await app.close();
}, 120_000);

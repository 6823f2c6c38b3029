/**
 * SIGTERM during heavy load drains gracefully with nothing lost and nothing run twice; and a long
 * idle-in-transaction session pinning the MVCC horizon does not stop the worker: jobs keep
 * completing during the pin and every offered job is done. How much throughput the pin costs is
 * a measurement, not a test: `bun run bench horizon` (bench/scenarios.ts).
 */
import { afterEach, expect, test } from "bun:test";
import postgres from "postgres";
import { Soniq } from "../../src/index.ts";
import { freshDatabase, waitFor } from "../helpers/db.ts";
import { createRunsTable, killStrayWorkers, spawnWorker } from "./harness.ts";

afterEach(killStrayWorkers);

test("SIGTERM under heavy load: graceful drain, clean exit, nothing lost or run twice", async () => {
  const url = await freshDatabase();
  const sql = await createRunsTable(url);
  const producer = new Soniq({ databaseUrl: url, logLevel: "silent", enqueueValidation: "none" });
  const ids = await producer.enqueueMany("chaos.work", Array.from({ length: 3000 }, (_, i) => ({ i })));
  const w = spawnWorker(url, { CHAOS_WORK_MS: "20", CHAOS_CONCURRENCY: "20", CHAOS_PREFETCH: "20", CHAOS_SHUTDOWN: "5" });
  await w.ready;
  await waitFor(async () => (await producer.getQueueStats()).done > 200, { message: "load" });
  const sent = Date.now();
  w.proc.kill("SIGTERM");
  const code = await w.proc.exited;
  const tookMs = Date.now() - sent;
  const stats = await producer.getQueueStats();
  console.log(`chaos SIGTERM: exit ${code} after ${tookMs} ms; ${stats.done} done, ${stats.queued} back in the queue, ${stats.processing} processing`);
  expect(code).toBe(0);
  expect(stats.processing).toBe(0);
  expect(stats.done + stats.queued).toBe(ids.length);
  // Graceful: running jobs finished (20 ms each, 5 s allowed), claimed ones went back unstarted.
  // So the jobs that ran are exactly the done ones, each once; no queued job ran.
  const runs = await sql.unsafe(
    `SELECT r.job_id, count(*)::int AS n, min(j.status) AS status
     FROM chaos_runs r LEFT JOIN soniq_jobs j ON j.id = r.job_id GROUP BY r.job_id`,
  );
  expect(runs.filter((r) => r.n !== 1).map((r) => r.job_id)).toEqual([]);
  expect(runs.filter((r) => r.status !== "done").map((r) => r.job_id)).toEqual([]);
  expect(runs.length).toBe(stats.done);
  await producer.close();
  await sql.end();
}, 60_000);

const PIN_SECONDS = Number(process.env.SONIQ_CHAOS_PIN_SECONDS ?? 20);

test(`an idle-in-transaction session pins the MVCC horizon for ${PIN_SECONDS} s: jobs keep completing, none lost`, async () => {
  const url = await freshDatabase();
  const app = new Soniq({ databaseUrl: url, pollInterval: 0.2, resultTtl: 86_400, logLevel: "silent" });
  app.job({ name: "horizon.job" }, async () => {});
  const rate = 1000; // jobs/s offered
  const worker = app.createWorker({ concurrency: 20, handleSignals: false });
  const running = worker.run();
  let producing = true;
  let offered = 0;
  const producer = (async () => {
    const t0 = performance.now();
    while (producing) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate) - offered;
      if (due > 0) {
        await app.enqueueMany("horizon.job", Array.from({ length: due }, (_, i) => ({ i })));
        offered += due;
      }
      await Bun.sleep(10);
    }
  })();
  const doneNow = async () => (await app.getQueueStats()).done;
  await waitFor(async () => (await doneNow()) > 0, { message: "first jobs done" });

  const pin = postgres(url, { max: 1, onnotice: () => {} });
  let pinning!: () => void;
  const pinned = new Promise<void>((r) => (pinning = r));
  const pinDone = pin.begin(async (tx) => {
    await tx.unsafe("SELECT txid_current()");
    pinning();
    await Bun.sleep(PIN_SECONDS * 1000);
  });
  await pinned;
  const doneAtPin = await doneNow();
  // The premise: an open transaction with an xid holds back the horizon while the worker runs.
  const [{ holding }] = (await app.sql.unsafe(
    "SELECT count(*)::int AS holding FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction' AND backend_xid IS NOT NULL",
  )) as any;
  expect(holding).toBe(1);
  await pinDone;
  const doneDuringPin = (await doneNow()) - doneAtPin;
  await pin.end();
  producing = false;
  await producer;
  await waitFor(async () => {
    const s = await app.getQueueStats();
    return s.queued === 0 && s.processing === 0;
  }, { timeout: 120_000, message: "drain" });
  const stats = await app.getQueueStats();
  console.log(`chaos horizon: offered ${rate} jobs/s; ${doneDuringPin} jobs completed during a ${PIN_SECONDS} s pin; ${stats.done} of ${offered} done`);
  expect(doneDuringPin).toBeGreaterThan(0); // the worker kept working while the horizon was pinned
  expect(stats).toMatchObject({ done: offered, queued: 0, processing: 0, dead_letter: 0 });
  await worker.stop();
  await running;
  await app.close();
}, (PIN_SECONDS + 150) * 1000);

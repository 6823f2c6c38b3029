/**
 * SIGTERM during heavy load drains gracefully in bounded time with nothing lost; and a long
 * idle-in-transaction session pinning the MVCC horizon does not stop the worker keeping up.
 */
import { expect, test } from "bun:test";
import postgres from "postgres";
import { Soniq } from "../../src/index.ts";
import { freshDatabase, waitFor } from "../helpers/db.ts";
import { createRunsTable, spawnWorker } from "./harness.ts";

test("SIGTERM under heavy load: graceful drain, bounded exit, nothing lost", async () => {
  const url = await freshDatabase();
  const sql = await createRunsTable(url);
  const producer = new Soniq({ databaseUrl: url, logLevel: "silent", enqueueValidation: "none" });
  const ids = await producer.enqueueMany("chaos.work", Array.from({ length: 3000 }, (_, i) => ({ i })));
  const w = spawnWorker(url, { CHAOS_WORK_MS: "20", CHAOS_CONCURRENCY: "20", CHAOS_SHUTDOWN: "5" });
  await w.ready;
  await waitFor(async () => (await producer.getQueueStats()).done > 200, { message: "load" });
  const sent = Date.now();
  w.proc.kill("SIGTERM");
  const code = await w.proc.exited;
  const tookMs = Date.now() - sent;
  const stats = await producer.getQueueStats();
  console.log(`chaos SIGTERM: exit ${code} after ${tookMs} ms; ${stats.done} done, ${stats.queued} back in the queue, ${stats.processing} processing`);
  expect(code).toBe(0);
  expect(tookMs).toBeLessThan(5000 + 5000);
  expect(stats.processing).toBe(0);
  expect(stats.done + stats.queued).toBe(ids.length);
  await producer.close();
  await sql.end();
}, 60_000);

const PIN_SECONDS = Number(process.env.SONIQ_CHAOS_PIN_SECONDS ?? 60);

test(`an idle-in-transaction session pins the MVCC horizon for ${PIN_SECONDS} s: the worker keeps up`, async () => {
  const url = await freshDatabase();
  const app = new Soniq({ databaseUrl: url, pollInterval: 0.2, logLevel: "silent" });
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
  const phase = async (seconds: number) => {
    const start = await doneNow();
    await Bun.sleep(seconds * 1000);
    return ((await doneNow()) - start) / seconds;
  };
  const before = await phase(5);
  const pin = postgres(url, { max: 1, onnotice: () => {} });
  const pinned = pin.begin(async (tx) => {
    await tx.unsafe("SELECT txid_current()");
    await Bun.sleep(PIN_SECONDS * 1000);
  });
  const during = await phase(PIN_SECONDS);
  const backlogAtEnd = (await app.getQueueStats()).queued;
  await pinned;
  await pin.end();
  const after = await phase(5);
  producing = false;
  await producer;
  await waitFor(async () => (await app.getQueueStats()).queued === 0, { timeout: 30_000, message: "drain" });
  console.log(
    `chaos horizon: offered ${rate} jobs/s; completed ${before.toFixed(0)}/s before, ${during.toFixed(0)}/s during a ${PIN_SECONDS} s pin, ${after.toFixed(0)}/s after; backlog at the end of the pin ${backlogAtEnd}`,
  );
  expect(during).toBeGreaterThan(rate * 0.8);
  expect(backlogAtEnd).toBeLessThan(rate * 2);
  await worker.stop();
  await running;
  await app.close();
}, (PIN_SECONDS + 60) * 1000);

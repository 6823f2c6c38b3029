/**
 * The batched hot path under faults: a failing outcome write, a stop with outcomes still
 * buffered, and a job removed while it sits in the prefetch buffer. Real Postgres throughout;
 * the only fault injection is a wrapper that makes some applyOutcomes calls throw.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { PostgresBackend, Soniq } from "../../src/index.ts";
import type { StorageBackend } from "../../src/backends/types.ts";
import { freshDatabase, waitFor } from "../helpers/db.ts";

let app: Soniq;
afterEach(async () => {
  await app?.close();
});

/** The real backend, with the first `failures` outcome writes failing after reaching the database. */
function flakyOutcomes(real: StorageBackend, failures: number): StorageBackend & { failed: number } {
  let failed = 0;
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === "failed") return failed;
      if (prop === "applyOutcomes") {
        return async (...args: Parameters<StorageBackend["applyOutcomes"]>) => {
          if (failed < failures) {
            failed++;
            throw Object.assign(new Error("write CONNECTION_CLOSED (injected)"), { code: "CONNECTION_CLOSED" });
          }
          return target.applyOutcomes(...args);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as StorageBackend & { failed: number };
}

async function appOn(backend: StorageBackend, options: ConstructorParameters<typeof Soniq>[0] = {}) {
  return new Soniq({ backend, pollInterval: 0.05, errorRetryDelay: 0.05, heartbeatInterval: 0.2, logLevel: "silent", ...options });
}

function realBackend(url: string) {
  return new PostgresBackend({ url, maxConnections: 10, minConnections: 1, preparedStatements: true, listen: true });
}

describe("batched outcomes", () => {
  test("a failing flush is retried: every job done exactly once", async () => {
    const flaky = flakyOutcomes(realBackend(await freshDatabase()), 3);
    app = await appOn(flaky);
    const runs = new Map<number, number>();
    const job = app.job({ name: "batch.flaky_flush" }, async ({ i }: { i: number }) => void runs.set(i, (runs.get(i) ?? 0) + 1));
    await app.enqueueMany(job, Array.from({ length: 300 }, (_, i) => ({ i })));
    await app.runWorker({ runOnce: true, concurrency: 20 });
    expect(flaky.failed).toBe(3);
    expect(runs.size).toBe(300);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(await app.getQueueStats()).toMatchObject({ done: 300, processing: 0, queued: 0 });
  });

  test("stopping with outcomes still buffered writes them all", async () => {
    app = await appOn(realBackend(await freshDatabase()), { completionFlushInterval: 5, completionBatchSize: 10_000 });
    let ran = 0;
    const job = app.job({ name: "batch.buffered" }, async () => void ran++);
    await app.enqueueMany(job, Array.from({ length: 50 }, (_, i) => ({ i })));
    const worker = app.createWorker({ concurrency: 10, handleSignals: false });
    const running = worker.run();
    await waitFor(() => ran === 50, { message: "all handlers to run" });
    expect((await app.getQueueStats()).done).toBe(0); // still buffered: the flush interval is 5 s
    await worker.stop();
    const summary = await running;
    expect(summary.succeeded).toBe(50);
    expect(await app.getQueueStats()).toMatchObject({ done: 50, processing: 0 });
  });

  test("a job deleted or cancelled while in the prefetch buffer is never resurrected", async () => {
    app = await appOn(realBackend(await freshDatabase()));
    const seen: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const job = app.job({ name: "batch.prefetched" }, async ({ i }: { i: number }) => {
      seen.push(i);
      if (i === 0) await gate;
    });
    const ids = await app.enqueueMany(job, [0, 1, 2, 3].map((i) => ({ i })));
    const worker = app.createWorker({ concurrency: 1, prefetch: 3, handleSignals: false });
    const running = worker.run();
    await waitFor(async () => (await app.getQueueStats()).processing === 4, { message: "claim into the buffer" });
    expect(await app.cancelJob(ids[2]!)).toBe(false); // claimed already: cancel only takes queued jobs
    expect(await app.deleteJob(ids[3]!)).toBe(true);
    release();
    await waitFor(() => seen.length === 4, { message: "buffered jobs to run" });
    await worker.stop();
    await running;
    expect(await app.getJob(ids[3]!)).toBeNull(); // the guarded completion did not bring it back
    for (const id of ids.slice(0, 3)) expect((await app.getJob(id))!.status).toBe("done");
  });

  test("abandon() (the forced-exit path) requeues running and buffered jobs at once", async () => {
    app = await appOn(realBackend(await freshDatabase()), { shutdownTimeout: 60 });
    const job = app.job({ name: "batch.abandon" }, async (_a, ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
    });
    const ids = await app.enqueueMany(job, [{ i: 1 }, { i: 2 }, { i: 3 }]);
    const worker = app.createWorker({ concurrency: 1, prefetch: 2, handleSignals: false });
    void worker.run();
    await waitFor(async () => (await app.getQueueStats()).processing === 3, { message: "claim" });
    expect(await worker.abandon()).toBe(3);
    for (const id of ids) expect(await app.getJob(id)).toMatchObject({ status: "queued", workerId: null });
    expect((await app.getJob(ids[0]!))!.attempts).toBe(1);
  });

  test("PgBouncer mode: no prepared statements and no LISTEN (poll only) still runs everything", async () => {
    const url = await freshDatabase();
    app = new Soniq({ databaseUrl: url, preparedStatements: false, listen: false, pollInterval: 0.05, logLevel: "silent" });
    let ran = 0;
    const job = app.job({ name: "batch.pgbouncer", unique: true }, async () => void ran++);
    const bulk = app.job({ name: "batch.pgbouncer_bulk" }, async () => void ran++);
    await app.enqueue(job, { i: 0 });
    await app.enqueueMany(bulk, [{ i: 1 }, { i: 2 }]);
    const worker = app.createWorker({ concurrency: 2, handleSignals: false });
    const running = worker.run();
    await waitFor(() => ran === 3, { message: "jobs run by polling" });
    await app.enqueue(job, { i: 3 });
    await waitFor(() => ran === 4, { message: "a later job picked up by polling" });
    await worker.stop();
    await running;
    const prepared = await app.sql.unsafe("SELECT count(*)::int AS n FROM pg_prepared_statements");
    expect(prepared[0]!.n).toBe(0);
  });
});

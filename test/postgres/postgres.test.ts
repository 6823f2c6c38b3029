import { afterEach, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { ErrorCodes, PostgresBackend, Soniq } from "../../src/index.ts";
import { databaseUrl, emptyDatabase, freshDatabase, testApp, waitFor } from "../helpers/db.ts";

let app: Soniq;
const extra: { end(): Promise<unknown> }[] = [];
afterEach(async () => {
  await app?.close();
  for (const c of extra.splice(0)) await c.end();
});

async function registerWorkers(backend: PostgresBackend, n: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      backend.registerWorker({ id: Bun.randomUUIDv7(), hostname: `racer-${i}`, pid: 1000 + i, queues: [], concurrency: 1, version: "t", metadata: {} }, 0).then((id) => id!),
    ),
  );
}

describe("claiming on Postgres", () => {
  test("5 racers on 1 job: exactly one winner", async () => {
    app = await testApp();
    app.job({ name: "race.job" }, async () => {});
    await app.enqueue("race.job", {});
    const backend = app.backend as PostgresBackend;
    const workers = await registerWorkers(backend, 5);
    const claims = await Promise.all(workers.map((w) => backend.claimJobs(w, null, 1)));
    expect(claims.flat()).toHaveLength(1);
  });

  test("10 jobs x 5 claim loops: 10 distinct claims", async () => {
    app = await testApp();
    app.job({ name: "race.many" }, async () => {});
    await app.enqueueMany("race.many", Array.from({ length: 10 }, (_, i) => ({ i })));
    const backend = app.backend as PostgresBackend;
    const workers = await registerWorkers(backend, 5);
    const seen: string[] = [];
    await Promise.all(
      workers.map(async (w) => {
        for (;;) {
          const jobs = await backend.claimJobs(w, null, 1);
          if (jobs.length === 0) return;
          seen.push(...jobs.map((j) => j.id));
        }
      }),
    );
    expect(seen).toHaveLength(10);
    expect(new Set(seen).size).toBe(10);
  });

  test("a worker never double-runs under concurrency with batching", async () => {
    app = await testApp({ completionFlushInterval: 0.01 });
    const runs = new Map<number, number>();
    const job = app.job({ name: "count.job" }, async ({ i }: { i: number }) => {
      runs.set(i, (runs.get(i) ?? 0) + 1);
      await Bun.sleep(Math.random() * 3);
    });
    await app.enqueueMany(job, Array.from({ length: 500 }, (_, i) => ({ i })));
    await Promise.all([app.runWorker({ runOnce: true, concurrency: 20 }), app.runWorker({ runOnce: true, concurrency: 20 })]);
    expect(runs.size).toBe(500);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect((await app.getQueueStats()).done).toBe(500);
  });
});

describe("transactional enqueue", () => {
  test("Soniq's own client: the job exists iff the transaction commits", async () => {
    app = await testApp();
    const job = app.job({ name: "orders.invoice" }, async () => {});
    await app.sql.unsafe("CREATE TABLE orders (id int primary key)");
    const committed = await app.sql.begin(async (tx) => {
      await tx.unsafe("INSERT INTO orders VALUES (1)");
      return app.enqueue(job, {}, { connection: tx });
    });
    expect(await app.getJob(committed)).not.toBeNull();
    let rolledBack = "";
    await expect(
      app.sql.begin(async (tx) => {
        await tx.unsafe("INSERT INTO orders VALUES (2)");
        rolledBack = await app.enqueue(job, {}, { connection: tx });
        throw new Error("payment declined");
      }),
    ).rejects.toThrow("payment declined");
    expect(rolledBack).not.toBe("");
    expect(await app.getJob(rolledBack)).toBeNull();
    expect((await app.sql.unsafe("SELECT count(*)::int AS n FROM orders"))[0]!.n).toBe(1);
  });

  test("the app's own postgres() client, unique jobs and schedules roll back too", async () => {
    const url = await freshDatabase();
    app = new Soniq({ databaseUrl: url, logLevel: "error" });
    const mine = postgres(url, { onnotice: () => {} });
    extra.push(mine);
    const job = app.job({ name: "own.client", unique: true }, async () => {});
    await mine.begin(async (tx) => {
      await app.enqueue(job, { a: 1 }, { connection: tx });
      await app.schedule(job, 60, { a: 2 }, { connection: tx });
    });
    expect((await app.getQueueStats()).queued).toBe(2);
    await mine.begin(async (tx) => {
      await app.enqueue(job, { a: 3 }, { connection: tx });
      throw new Error("abort");
    }).catch(() => {});
    expect((await app.getQueueStats()).queued).toBe(2);
    // A rolled-back unique enqueue leaves nothing behind that blocks the next one.
    expect(await app.enqueue(job, { a: 3 })).toMatch(/-/);
  });

  test("a worker wakes on commit through NOTIFY, not polling", async () => {
    app = await testApp({ pollInterval: 30 });
    let ran = 0;
    const job = app.job({ name: "wake.job" }, async () => void ran++);
    const worker = app.createWorker({ concurrency: 2, handleSignals: false });
    const running = worker.run();
    await Bun.sleep(200); // let it register, LISTEN and go idle
    const started = Date.now();
    await app.sql.begin((tx) => app.enqueue(job, {}, { connection: tx }));
    await waitFor(() => ran === 1, { timeout: 5000, message: "job to run" });
    expect(Date.now() - started).toBeLessThan(5000);
    await app.enqueue(job, {});
    await waitFor(() => ran === 2, { timeout: 5000, message: "second job" });
    await worker.stop();
    await running;
  });

  test("NOTIFY carries the queue name, debounced per burst", async () => {
    app = await testApp();
    const job = app.job({ name: "notify.job" }, async () => {});
    const listener = postgres(await databaseUrlOf(app), { onnotice: () => {} });
    extra.push(listener);
    const payloads: string[] = [];
    await listener.listen("soniq_new_job", (p) => payloads.push(p));
    await Promise.all(Array.from({ length: 20 }, () => app.enqueue(job, {}, { queue: "emails" })));
    await waitFor(() => payloads.length > 0, { message: "notification" });
    await Bun.sleep(100);
    expect(new Set(payloads)).toEqual(new Set(["emails"]));
    expect(payloads.length).toBeLessThan(20);
  });

  test("transactional enqueue refuses objects that are not postgres.js connections", async () => {
    app = await testApp();
    const job = app.job({ name: "bad.conn" }, async () => {});
    await expect(app.enqueue(job, {}, { connection: { query: () => {} } })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    expect((await app.getQueueStats()).total).toBe(0);
  });
});

async function databaseUrlOf(a: Soniq): Promise<string> {
  return a.settings.databaseUrl!;
}

describe("workers, heartbeats and shutdown", () => {
  test("a worker registers, heartbeats and is stopped on exit; the same host+pid restarts fine", async () => {
    app = await testApp({ heartbeatInterval: 0.1 });
    app.job({ name: "idle.job" }, async () => {});
    const w1 = app.createWorker({ handleSignals: false, queues: ["a", "b"], concurrency: 3 });
    const r1 = w1.run();
    const reg = await waitFor(async () => (await app.listWorkers()).find((w) => w.status === "active"), { message: "registration" });
    expect(reg).toMatchObject({ pid: process.pid, queues: ["a", "b"], concurrency: 3 });
    const first = reg.lastHeartbeat.getTime();
    await waitFor(async () => (await app.listWorkers())[0]!.lastHeartbeat.getTime() > first, { message: "heartbeat" });
    await w1.stop();
    await r1;
    expect((await app.listWorkers())[0]!.status).toBe("stopped");
    const again = await app.runWorker({ runOnce: true });
    expect(again.workerId).toBe(reg.id);
  });

  test("a stale worker's processing jobs are requeued and finish elsewhere", async () => {
    app = await testApp({ heartbeatTimeout: 1, rescueAfter: 1, rescueInterval: 0.2, cleanupInterval: 0.2 });
    let ran = 0;
    const job = app.job({ name: "stale.job" }, async () => void ran++);
    const id = await app.enqueue(job, {});
    const backend = app.backend as PostgresBackend;
    const [ghost] = await registerWorkers(backend, 1);
    await backend.claimJobs(ghost!, null, 1);
    await backend.sql.unsafe("UPDATE soniq_workers SET last_heartbeat = now() - interval '1 hour' WHERE id = $1", [ghost!]);
    const worker = app.createWorker({ handleSignals: false });
    const running = worker.run();
    await waitFor(async () => (await app.getJob(id))?.status === "done", { message: "rescued job to finish" });
    expect(ran).toBe(1);
    expect((await app.listWorkers()).find((w) => w.id === ghost)!.status).toBe("stopped");
    await worker.stop();
    await running;
  });

  test("graceful shutdown drains a short job", async () => {
    app = await testApp({ shutdownTimeout: 5 });
    const job = app.job({ name: "drain.job" }, async () => {
      await Bun.sleep(300);
      return "finished";
    });
    const id = await app.enqueue(job, {});
    const worker = app.createWorker({ handleSignals: false });
    const running = worker.run();
    await waitFor(async () => (await app.getJob(id))?.status === "processing", { message: "processing" });
    await worker.stop();
    const summary = await running;
    expect(summary.succeeded).toBe(1);
    expect(await app.getResult(id)).toBe("finished");
  });

  test("shutdown past the timeout puts unfinished and buffered jobs back, attempts kept", async () => {
    app = await testApp({ shutdownTimeout: 0.2 });
    let aborted = false;
    const job = app.job({ name: "long.job" }, async (_a, ctx) => {
      ctx.signal.addEventListener("abort", () => (aborted = true));
      await Bun.sleep(3000);
    });
    const ids = await app.enqueueMany(job, [{ i: 1 }, { i: 2 }, { i: 3 }]);
    const worker = app.createWorker({ handleSignals: false, concurrency: 1, prefetch: 2 });
    const running = worker.run();
    await waitFor(async () => (await app.getQueueStats()).processing === 3, { message: "claim" });
    const started = Date.now();
    await worker.stop();
    const summary = await running;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(summary.requeued).toBe(3);
    expect(aborted).toBe(true);
    for (const id of ids) {
      const row = (await app.getJob(id))!;
      expect(row.status).toBe("queued");
      expect(row.workerId).toBeNull();
    }
    expect((await app.getJob(ids[0]!))!.attempts).toBe(1);
  });
});

describe("setup and migrations", () => {
  test("setup creates a missing database, applies every migration once, and is a no-op after", async () => {
    const url = databaseUrl(`soniq_created_${process.pid}`);
    app = new Soniq({ databaseUrl: url, logLevel: "error" });
    expect(await app.setup()).toBe(8);
    expect(await app.setup()).toBe(0);
    const versions = (await app.sql.unsafe("SELECT version FROM soniq_migrations ORDER BY version")).map((r) => r.version);
    expect(versions).toEqual(["0001", "0002", "0003", "0004", "0005", "0051", "0052", "0053"]);
  });

  test("concurrent setups serialise; no duplicate migration rows", async () => {
    const url = await emptyDatabase();
    const apps = Array.from({ length: 3 }, () => new Soniq({ databaseUrl: url, logLevel: "error" }));
    const counts = await Promise.all(apps.map((a) => a.setup()));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(8);
    app = apps[0]!;
    expect((await app.sql.unsafe("SELECT count(*)::int AS n FROM soniq_migrations"))[0]!.n).toBe(8);
    await Promise.all(apps.slice(1).map((a) => a.close()));
  });

  test("a database where Python Soniq recorded 0001-0005 only gets our additive migration", async () => {
    const url = await emptyDatabase();
    app = new Soniq({ databaseUrl: url, logLevel: "error" });
    await app.setup();
    await app.sql.unsafe("DELETE FROM soniq_migrations WHERE version IN ('0051', '0052', '0053')");
    expect(await app.setup()).toBe(3);
  });

  test("a closed app refuses work", async () => {
    app = await testApp();
    await app.close();
    await expect(app.enqueue("x.y", {})).rejects.toMatchObject({ code: ErrorCodes.APP_CLOSED });
  });
});

describe("requeue guards (migration 0053)", () => {
  test("a requeue for an owner and attempt that no longer hold the job changes nothing", async () => {
    app = await testApp();
    await app.setup();
    const sql = app.sql;
    const [w1, w2] = [Bun.randomUUIDv7(), Bun.randomUUIDv7()];
    for (const [id, pid] of [[w1, 1], [w2, 2]] as const) {
      await app.backend.registerWorker({ id, hostname: "guard-host", pid, queues: [], concurrency: 1, version: "t", metadata: {} }, 0);
    }
    const id = await app.enqueue(app.job({ name: "guard.job" }, async () => {}), {});
    // Claimed by w1 at attempt 1, rescued, re-claimed by w2 at attempt 2.
    expect((await app.backend.claimJobs(w1, null, 1)).map((j) => j.id)).toEqual([id]);
    await sql.unsafe("UPDATE soniq_jobs SET status = 'queued', worker_id = NULL WHERE id = $1", [id]);
    expect((await app.backend.claimJobs(w2, null, 1)).map((j) => j.id)).toEqual([id]);

    // What w1's caller saw (owner w1, attempt 1) no longer holds: neither entry point moves the job.
    const [stale] = await sql.unsafe("SELECT soniq_requeue_guarded(ARRAY[$1::uuid], ARRAY[$2::uuid], ARRAY[1]) AS n", [id, w1]);
    expect(stale!.n).toBe(0);
    const [wrongAttempt] = await sql.unsafe("SELECT soniq_requeue_guarded(ARRAY[$1::uuid], ARRAY[$2::uuid], ARRAY[1]) AS n", [id, w2]);
    expect(wrongAttempt!.n).toBe(0);
    expect(await app.backend.nackJobs(w1, [id])).toBe(0);
    expect(await app.getJob(id)).toMatchObject({ status: "processing", workerId: w2, attempts: 2 });
    // The right owner and attempt do move it.
    const [right] = await sql.unsafe("SELECT soniq_requeue_guarded(ARRAY[$1::uuid], ARRAY[$2::uuid], ARRAY[2]) AS n", [id, w2]);
    expect(right!.n).toBe(1);
    expect(await app.getJob(id)).toMatchObject({ status: "queued", workerId: null, attempts: 2 });
  });
});

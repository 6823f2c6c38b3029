/**
 * Outcome writes under faults, on real PostgreSQL. The injectors wrap the real backend: one makes
 * the database itself refuse one job's outcome (a real PostgreSQL error, not a fake), one loses
 * the reply after the commit, one makes every write fail for a while.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { PostgresBackend, Soniq } from "../../src/index.ts";
import type { JobOutcome, OutcomeWriteFailure, StorageBackend } from "../../src/backends/types.ts";
import { freshDatabase, waitFor } from "../helpers/db.ts";

let app: Soniq | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

type Apply = StorageBackend["applyOutcomes"];

/** The real backend with `applyOutcomes` replaced by `wrap(real)`. */
function intercept(real: StorageBackend, wrap: (apply: Apply) => Apply): StorageBackend {
  const apply = wrap(real.applyOutcomes.bind(real));
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === "applyOutcomes") return apply;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const connectionLost = () => Object.assign(new Error("write CONNECTION_CLOSED 127.0.0.1 (injected)"), { code: "CONNECTION_CLOSED" });

async function postgres(): Promise<PostgresBackend> {
  return new PostgresBackend({ url: await freshDatabase(), maxConnections: 10, minConnections: 1, preparedStatements: true, listen: true });
}

function appOn(backend: StorageBackend, options: ConstructorParameters<typeof Soniq>[0] = {}): Soniq {
  return new Soniq({ backend, pollInterval: 0.05, errorRetryDelay: 0.05, heartbeatInterval: 0.2, logLevel: "silent", ...options });
}

describe("outcome writes are isolated (PostgreSQL)", () => {
  test("one outcome the database refuses is dead-lettered alone; its batch neighbours commit once", async () => {
    let poisonId = "";
    const sent = new Map<string, number>();
    const backend = intercept(await postgres(), (apply) => async (workerId, outcomes, ttl) => {
      for (const o of outcomes) sent.set(`${o.id}:${o.kind}`, (sent.get(`${o.id}:${o.kind}`) ?? 0) + 1);
      // A result PostgreSQL itself refuses (jsonb cannot hold \u0000): the statement fails for real.
      const rewritten = outcomes.map((o): JobOutcome => (o.id === poisonId && o.kind === "done" ? { ...o, resultJson: '"\\u0000"' } : o));
      return apply(workerId, rewritten, ttl);
    });
    app = appOn(backend, { completionBatchSize: 1000, completionFlushInterval: 0.05 });
    const job = app.job({ name: "iso.refused" }, async ({ i }: { i: number }) => ({ i }));
    const failing = app.job({ name: "iso.failing", retries: 0 }, async () => {
      throw new Error("plain failure");
    });
    const ids = await app.enqueueMany(job, Array.from({ length: 40 }, (_, i) => ({ i })));
    const failed = await app.enqueue(failing, {});
    poisonId = ids[17]!;

    await app.runWorker({ runOnce: true, concurrency: 50 });
    const dead = (await app.deadLetter.get(poisonId))!;
    expect(dead.reason).toBe("permanent_failure");
    expect(dead.lastError).toContain("Outcome could not be stored (done)");
    for (const id of ids) if (id !== poisonId) expect(await app.getResult(id)).toEqual({ i: ids.indexOf(id) });
    expect((await app.deadLetter.get(failed))!.reason).toBe("max_retries_exceeded");
    expect(await app.getQueueStats()).toMatchObject({ queued: 0, processing: 0, done: 39, dead_letter: 2 });
    // The dead-letter statement committed in the first flush and was never sent again.
    expect(sent.get(`${failed}:dead`)).toBe(1);
  });

  test("a reply lost after the commit: the re-sent outcomes change nothing, every job ran once", async () => {
    let lose = 2;
    const backend = intercept(await postgres(), (apply) => async (workerId, outcomes, ttl) => {
      const failures = await apply(workerId, outcomes, ttl);
      if (lose > 0) {
        lose--;
        throw connectionLost(); // committed, then the connection dropped before the reply
      }
      return failures;
    });
    app = appOn(backend);
    const runs = new Map<number, number>();
    const job = app.job({ name: "iso.reply_lost", retries: 2 }, async ({ i }: { i: number }) => {
      runs.set(i, (runs.get(i) ?? 0) + 1);
      if (i % 10 === 0 && runs.get(i) === 1) throw new Error("first attempt fails");
      return i;
    });
    await app.enqueueMany(job, Array.from({ length: 100 }, (_, i) => ({ i })));
    const summary = await app.runWorker({ runOnce: true, concurrency: 10 });
    expect(lose).toBe(0);
    expect(summary.succeeded).toBe(100);
    for (let i = 0; i < 100; i++) expect(runs.get(i)).toBe(i % 10 === 0 ? 2 : 1);
    expect(await app.getQueueStats()).toMatchObject({ done: 100, queued: 0, processing: 0, dead_letter: 0 });
  });

  test("while outcomes cannot be written the worker stops claiming; when writes work again it catches up", async () => {
    let down = true;
    let attempts = 0;
    const backend = intercept(await postgres(), (apply) => async (workerId, outcomes, ttl): Promise<OutcomeWriteFailure[]> => {
      attempts++;
      if (down) throw connectionLost();
      return apply(workerId, outcomes, ttl);
    });
    app = appOn(backend, { completionBatchSize: 20 });
    let ran = 0;
    const job = app.job({ name: "iso.backlog" }, async () => void ran++);
    await app.enqueueMany(job, Array.from({ length: 500 }, (_, i) => ({ i })));
    const worker = app.createWorker({ concurrency: 5, prefetch: 5, handleSignals: false });
    const running = worker.run();
    await waitFor(() => attempts >= 5, { message: "several failed outcome writes" });
    await Bun.sleep(300);
    // Claims stop at the outcome backlog (max(completionBatchSize, concurrency + prefetch) = 20),
    // plus what was running or buffered when it was reached.
    const stuck = ran;
    expect(stuck).toBeLessThanOrEqual(20 + 5 + 5);
    await Bun.sleep(300);
    expect(ran).toBe(stuck);
    down = false;
    await waitFor(async () => (await app!.getQueueStats()).done === 500, { timeout: 30_000, message: "catch up" });
    await worker.stop();
    await running;
    expect(ran).toBe(500);
  });
});

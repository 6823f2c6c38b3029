/**
 * Behaviour every backend (memory, SQLite, Postgres) must share, exercised on the StorageBackend
 * interface directly. Not a test file itself: test/unit/memory-backend.test.ts,
 * test/unit/sqlite-backend.test.ts and test/postgres/backend-suite.test.ts call `backendSuite`
 * with a factory. Nothing here may assume an in-process backend: wake-ups and lock acquisition
 * cross a socket on Postgres, so the suite waits for events instead of sleeping a guessed delay,
 * and claims only with registered workers (Postgres has a foreign key from jobs to workers).
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { ErrorCodes, isSoniqError } from "../../src/errors.ts";
import type { JobRecord, NewJob, StorageBackend } from "../../src/backends/types.ts";

let seq = 0;
export function job(overrides: Partial<NewJob> = {}): NewJob {
  return {
    id: Bun.randomUUIDv7(),
    jobName: "task",
    argsJson: JSON.stringify({ n: ++seq }),
    argsHash: null,
    maxAttempts: 3,
    queue: "default",
    priority: 100,
    uniqueJob: false,
    dedupKey: null,
    scheduledAt: null,
    producerId: null,
    ...overrides,
  };
}

const W1 = "00000000-0000-4000-8000-000000000001";
const W2 = "00000000-0000-4000-8000-000000000002";

function worker(id: string, pid: number, hostname = "host-a") {
  return { id, hostname, pid, queues: ["default"], concurrency: 4, version: "test", metadata: { k: 1 } };
}

/** Wake-ups are asynchronous (and cross a socket on Postgres): poll instead of guessing a delay. */
async function eventually(check: () => void, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await Bun.sleep(5);
    }
  }
}

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

export interface BackendTraits {
  /**
   * Whether `listen()` delivers wake-ups. False for Postgres with `listen: false` (behind a
   * transaction-mode pooler): `listen()` is then a no-op and workers rely on polling.
   */
  listen: boolean;
}

export function backendSuite(
  name: string,
  make: () => Promise<StorageBackend>,
  dispose: (b: StorageBackend) => Promise<void>,
  traits: BackendTraits = { listen: true },
) {
  describe(`${name} backend`, () => {
    let b: StorageBackend;
    beforeEach(async () => {
      b = await make();
    });
    afterEach(async () => {
      await dispose(b);
    });

    /** Claiming needs a registered worker on Postgres (jobs.worker_id references soniq_workers). */
    async function registerBoth() {
      expect(await b.registerWorker(worker(W1, 100), 0)).toBe(W1);
      expect(await b.registerWorker(worker(W2, 200), 0)).toBe(W2);
    }

    /**
     * What a listener hears after `act`: on a backend that delivers wake-ups, wait until `expected`
     * arrives; on one that does not, nothing may arrive (listen is a no-op, workers poll).
     */
    async function expectHeard(heard: string[], expected: string[]) {
      if (traits.listen) {
        await eventually(() => expect([...heard].sort()).toEqual([...expected].sort()));
      } else {
        await Bun.sleep(50);
        expect(heard).toEqual([]);
      }
    }

    describe("claim", () => {
      beforeEach(registerBoth);

      test("claims by priority, then run time, then id, and marks rows processing", async () => {
        const past = new Date(Date.now() - 60_000);
        const low = job({ priority: 200 });
        const high = job({ priority: 10 });
        const ids = [Bun.randomUUIDv7(), Bun.randomUUIDv7()].sort();
        const [a, c] = [job({ id: ids[1]! }), job({ id: ids[0]! })];
        const early = job({ scheduledAt: past }); // older run time than anything created now
        await b.insertJobs([low, a, c, high, early]);

        const claimed = await b.claimJobs(W1, null, 10);
        expect(claimed.map((j) => j.id)).toEqual([high.id, early.id, c.id, a.id, low.id]);
        expect(claimed[0]).toMatchObject({ attempts: 1, maxAttempts: 3, queue: "default", priority: 10, jobName: "task" });
        expect(claimed[1]!.scheduledAt?.getTime()).toBe(past.getTime());
        expect(claimed[0]!.createdAt).toBeInstanceOf(Date);

        const row = await b.getJob(high.id);
        expect(row).toMatchObject({ status: "processing", attempts: 1, workerId: W1 });
        expect(await b.claimJobs(W2, null, 10)).toEqual([]);
      });

      test("respects limit, queue filter and future scheduled_at", async () => {
        const future = job({ scheduledAt: new Date(Date.now() + 60_000) });
        const inA = [job({ queue: "a" }), job({ queue: "a" }), job({ queue: "a" })];
        const inB = job({ queue: "b" });
        await b.insertJobs([future, ...inA, inB]);

        expect(await b.claimJobs(W1, ["a"], 0)).toEqual([]);
        expect((await b.claimJobs(W1, ["a"], 2)).map((j) => j.id)).toEqual([inA[0]!.id, inA[1]!.id]);
        expect((await b.claimJobs(W1, ["a", "b", "a"], 10)).map((j) => j.id)).toEqual([inA[2]!.id, inB.id]);
        expect(await b.claimJobs(W1, [], 10)).toEqual([]);
        expect(await b.claimJobs(W1, null, 10)).toEqual([]);
        expect((await b.getJob(future.id))!.status).toBe("queued");
      });

      test("args come back as parsed JSON", async () => {
        const j = job({ argsJson: '{"nested":{"list":[1,"two",null]},"s":"é"}' });
        await b.insertJobs([j]);
        const [claimed] = await b.claimJobs(W1, null, 1);
        expect(claimed!.args).toEqual({ nested: { list: [1, "two", null] }, s: "é" });
      });
    });

    describe("insert", () => {
      beforeEach(registerBoth);

      test("a unique job returns the queued row's id while it is queued", async () => {
        const first = job({ uniqueJob: true, argsHash: "h1" });
        expect(await b.insertJobs([first])).toEqual([first.id]);
        expect(await b.insertJobs([job({ uniqueJob: true, argsHash: "h1" })])).toEqual([first.id]);
        // Same hash, other task: not a duplicate.
        const other = job({ jobName: "other", uniqueJob: true, argsHash: "h1" });
        expect(await b.insertJobs([other])).toEqual([other.id]);
        // Once claimed, the first no longer blocks a new one.
        await b.claimJobs(W1, null, 10);
        const again = job({ uniqueJob: true, argsHash: "h1" });
        expect(await b.insertJobs([again])).toEqual([again.id]);
        expect((await b.getJob(again.id))!.uniqueJob).toBe(true);
      });

      test("a dedup key wins over a new row and is stored without unique_job or args_hash", async () => {
        const first = job({ dedupKey: "k", uniqueJob: true, argsHash: "h" });
        expect(await b.insertJobs([first])).toEqual([first.id]);
        expect(await b.insertJobs([job({ dedupKey: "k" })])).toEqual([first.id]);
        expect(await b.getJob(first.id)).toMatchObject({ dedupKey: "k", uniqueJob: false });
        expect((await b.getQueueStats()).queued).toBe(1);
        await b.cancelJob(first.id);
        const next = job({ dedupKey: "k" });
        expect(await b.insertJobs([next])).toEqual([next.id]);
      });

      test("batches with unique or dedup jobs are refused before anything is written", async () => {
        const error = await rejects(b.insertJobs([job(), job({ dedupKey: "x" })]));
        expect(isSoniqError(error, ErrorCodes.INVALID_ARGUMENT)).toBe(true);
        expect(await rejects(b.insertJobs([job(), job({ uniqueJob: true, argsHash: "h" })]))).toBeDefined();
        expect((await b.getQueueStats()).total).toBe(0);
      });

      test("a connection it cannot use is refused before anything is written", async () => {
        const error = await rejects(b.insertJobs([job()], {}));
        if (b.capabilities.transactionalEnqueue) {
          // Postgres takes the caller's transaction, but only from a client it recognises.
          expect(isSoniqError(error, ErrorCodes.INVALID_ARGUMENT)).toBe(true);
        } else {
          // In-process backends have no shared transactions at all.
          expect(isSoniqError(error, ErrorCodes.UNSUPPORTED)).toBe(true);
          expect((error as Error).message).toContain(`${b.kind} has no shared transactions`);
        }
        expect((await b.getQueueStats()).total).toBe(0);
      });

      test("a batch with a duplicate id inserts nothing", async () => {
        const j = job();
        await b.insertJobs([j]);
        await rejects(b.insertJobs([job(), { ...j }]));
        expect((await b.getQueueStats()).total).toBe(1);
      });

      test("insert wakes listeners once per queue", async () => {
        const heard: string[] = [];
        const stop = await b.listen((q) => heard.push(q));
        await b.insertJobs([job({ queue: "a" }), job({ queue: "a" }), job({ queue: "b" })]);
        await expectHeard(heard, ["a", "b"]);
        // Once per queue: no second "a" turns up late either (a marker insert is heard after it would).
        await b.insertJobs([job({ queue: "marker" })]);
        await expectHeard(heard, ["a", "b", "marker"]);
        await stop();
        await b.insertJobs([job({ queue: "c" }), job({ queue: "c" })]);
        await Bun.sleep(50);
        expect(heard).not.toContain("c");
      });
    });

    describe("outcomes", () => {
      beforeEach(registerBoth);

      async function claimOne(workerId = W1) {
        const j = job();
        await b.insertJobs([j]);
        const [claimed] = await b.claimJobs(workerId, null, 1);
        expect(claimed!.id).toBe(j.id);
        return claimed!;
      }

      test("done keeps the result until it expires; ttl 0 deletes at once", async () => {
        const kept = await claimOne();
        const gone = await claimOne();
        const short = await claimOne();
        const before = Date.now();
        await b.applyOutcomes(W1, [{ kind: "done", id: kept.id, attempts: 1, resultJson: '{"ok":true}' }], 3600);
        await b.applyOutcomes(W1, [{ kind: "done", id: gone.id, attempts: 1, resultJson: null }], 0);
        const row = await b.getJob(kept.id);
        expect(row).toMatchObject({ status: "done", result: { ok: true }, workerId: W1 });
        // Expiry is now + ttl (1 s of slack for a clock read on the other side of a socket).
        expect(row!.expiresAt!.getTime()).toBeGreaterThan(before + 3_599_000);
        expect(await b.getJob(gone.id)).toBeNull();
        expect(await b.deleteExpiredJobs()).toBe(0);
        // A short ttl expires: the sweep takes that row and leaves the unexpired one.
        await b.applyOutcomes(W1, [{ kind: "done", id: short.id, attempts: 1, resultJson: null }], 0.2);
        expect((await b.getJob(short.id))!.status).toBe("done");
        await Bun.sleep(250);
        expect(await b.deleteExpiredJobs()).toBe(1);
        expect(await b.getJob(short.id)).toBeNull();
        expect((await b.getJob(kept.id))!.status).toBe("done");
      });

      test("outcomes only apply to rows still owned by the worker at the same attempt", async () => {
        const j = await claimOne();
        await b.applyOutcomes(W2, [{ kind: "done", id: j.id, attempts: 1, resultJson: null }], 60);
        await b.applyOutcomes(W1, [{ kind: "done", id: j.id, attempts: 2, resultJson: null }], 60);
        await b.applyOutcomes(W1, [{ kind: "retry", id: j.id, attempts: 2, error: "e", delaySeconds: 0 }], 60);
        await b.applyOutcomes(W2, [{ kind: "dead", id: j.id, attempts: 1, error: "e", reason: "timeout", recordAttempts: 1 }], 60);
        await b.applyOutcomes(W1, [{ kind: "done", id: Bun.randomUUIDv7(), attempts: 1, resultJson: null }], 60);
        expect(await b.getJob(j.id)).toMatchObject({ status: "processing", workerId: W1, attempts: 1 });
        expect(await b.countDeadLetters({})).toBe(0);
      });

      test("a stale worker's late outcomes never touch the job once another worker or attempt holds it", async () => {
        // W1 claims (attempt 1) and goes silent; its job is rescued and W2 claims it (attempt 2).
        const j = await claimOne(W1);
        await b.markWorkerStopped(W1);
        expect(await b.rescueStaleWorkers(3600)).toEqual({ workers: 0, jobs: 1 });
        const [second] = await b.claimJobs(W2, null, 1);
        expect(second).toMatchObject({ id: j.id, attempts: 2 });
        const late = (workerId: string, attempts: number) =>
          Promise.all([
            b.applyOutcomes(workerId, [{ kind: "done", id: j.id, attempts, resultJson: '{"stale":true}' }], 60),
            b.applyOutcomes(workerId, [{ kind: "done", id: j.id, attempts, resultJson: null }], 0),
            b.applyOutcomes(workerId, [{ kind: "retry", id: j.id, attempts, error: "stale retry", delaySeconds: 0 }], 60),
            b.applyOutcomes(workerId, [{ kind: "dead", id: j.id, attempts, error: "stale death", reason: "timeout", recordAttempts: attempts }], 60),
          ]);
        // The old owner reports for its attempt: nothing changes.
        await late(W1, 1);
        expect(await b.getJob(j.id)).toMatchObject({ status: "processing", workerId: W2, attempts: 2, result: null, lastError: null });

        // The same worker holds the job again at a later attempt: its report for the earlier one is stale too.
        expect(await b.nackJobs(W2, [j.id])).toBe(1);
        const [third] = await b.claimJobs(W2, null, 1);
        expect(third).toMatchObject({ id: j.id, attempts: 3 });
        await late(W2, 2);
        expect(await b.getJob(j.id)).toMatchObject({ status: "processing", workerId: W2, attempts: 3, result: null, lastError: null });
        expect(await b.countDeadLetters({})).toBe(0);

        // The current holder's outcome applies.
        await b.applyOutcomes(W2, [{ kind: "done", id: j.id, attempts: 3, resultJson: '{"ok":1}' }], 60);
        expect(await b.getJob(j.id)).toMatchObject({ status: "done", workerId: W2, attempts: 3, result: { ok: 1 } });
      });

      test("retry requeues with last_error; a delay schedules it, no delay puts it back at its place", async () => {
        const delayed = await claimOne();
        const now = await claimOne();
        await b.applyOutcomes(
          W1,
          [
            { kind: "retry", id: delayed.id, attempts: 1, error: "later", delaySeconds: 60 },
            { kind: "retry", id: now.id, attempts: 1, error: "again", delaySeconds: 0 },
          ],
          60,
        );
        const d = (await b.getJob(delayed.id))!;
        expect(d).toMatchObject({ status: "queued", lastError: "later", workerId: null, attempts: 1 });
        expect(d.scheduledAt!.getTime()).toBeGreaterThan(Date.now() + 55_000);
        expect(await b.getJob(now.id)).toMatchObject({ status: "queued", lastError: "again", scheduledAt: null });
        const again = await b.claimJobs(W2, null, 10);
        expect(again.map((j) => [j.id, j.attempts])).toEqual([[now.id, 2]]);
      });

      test("dead moves the row to the dead-letter table under the same id, atomically", async () => {
        const j = await claimOne();
        await b.applyOutcomes(W1, [{ kind: "dead", id: j.id, attempts: 1, error: "boom", reason: "max_retries_exceeded", recordAttempts: 3 }], 60);
        expect(await b.getJob(j.id)).toBeNull();
        const dl = (await b.getDeadLetter(j.id))!;
        expect(dl).toMatchObject({
          id: j.id,
          jobName: "task",
          args: j.args as object,
          queue: "default",
          priority: 100,
          maxAttempts: 3,
          attempts: 3,
          lastError: "boom",
          reason: "max_retries_exceeded",
          resurrectionCount: 0,
          lastResurrectionAt: null,
          tags: null,
        });
        expect(dl.originalCreatedAt.getTime()).toBe(j.createdAt.getTime());
        expect(dl.movedAt).toBeInstanceOf(Date);
        expect(await b.getQueueStats()).toEqual({ total: 1, queued: 0, processing: 0, done: 0, dead_letter: 1, cancelled: 0 });
      });

      test("a second death of the same id updates its dead-letter row", async () => {
        const j = await claimOne();
        await b.applyOutcomes(W1, [{ kind: "dead", id: j.id, attempts: 1, error: "first", reason: "timeout", recordAttempts: 1 }], 60);
        // Replaying under the same id is impossible, so simulate a row that reappears with that id.
        await b.insertJobs([job({ id: j.id })]);
        await b.claimJobs(W1, null, 1);
        await b.applyOutcomes(W1, [{ kind: "dead", id: j.id, attempts: 1, error: "second", reason: "permanent_failure", recordAttempts: 7 }], 60);
        expect(await b.countDeadLetters({})).toBe(1);
        expect(await b.getDeadLetter(j.id)).toMatchObject({ lastError: "second", reason: "permanent_failure", attempts: 7 });
      });

      test("nack puts claimed jobs back with their attempts, only for the owner", async () => {
        const j = await claimOne();
        expect(await b.nackJobs(W2, [j.id])).toBe(0);
        expect(await b.nackJobs(W1, [j.id, j.id, Bun.randomUUIDv7()])).toBe(1);
        expect(await b.nackJobs(W1, [])).toBe(0);
        expect(await b.getJob(j.id)).toMatchObject({ status: "queued", workerId: null, attempts: 1 });
        const [again] = await b.claimJobs(W1, null, 1);
        expect(again!.attempts).toBe(2);
      });
    });

    describe("requeue next to a queued twin (like Postgres: the requeued job gives up its dedup claim)", () => {
      beforeEach(registerBoth);

      const kinds = {
        unique: { make: () => job({ uniqueJob: true, argsHash: "same" }), holds: (r: JobRecord) => r.uniqueJob, released: { uniqueJob: false } },
        dedup: { make: () => job({ dedupKey: "same-key" }), holds: (r: JobRecord) => r.dedupKey === "same-key", released: { dedupKey: null } },
      };
      /** Send W1's claimed jobs `ids` back to queued, each at attempt 1. */
      const requeues: Record<string, (ids: string[]) => Promise<void>> = {
        retry: async (ids) => {
          await b.applyOutcomes(W1, ids.map((id) => ({ kind: "retry" as const, id, attempts: 1, error: "x", delaySeconds: 0 })), 60);
        },
        nack: async (ids) => {
          expect(await b.nackJobs(W1, ids)).toBe(ids.length);
        },
        "stale rescue": async (ids) => {
          await b.markWorkerStopped(W1);
          expect(await b.rescueStaleWorkers(3600)).toEqual({ workers: 0, jobs: ids.length });
        },
        "worker takeover": async () => {
          expect(await b.registerWorker(worker(W2, 100), 0)).toBe(W1);
        },
      };

      for (const [kindName, kind] of Object.entries(kinds)) {
        for (const [how, requeue] of Object.entries(requeues)) {
          test(`${how} of a ${kindName} job whose twin is queued requeues it without the claim; the twin keeps it`, async () => {
            await b.registerWorker(worker(W1, 100), 0);
            const original = kind.make();
            await b.insertJobs([original]);
            expect((await b.claimJobs(W1, null, 10)).map((j) => j.id)).toEqual([original.id]);
            const twin = kind.make();
            expect(await b.insertJobs([twin])).toEqual([twin.id]);

            await requeue([original.id]);
            const requeued = (await b.getJob(original.id))!;
            expect(requeued).toMatchObject({ status: "queued", workerId: null, attempts: 1, ...kind.released });
            expect(kind.holds((await b.getJob(twin.id))!)).toBe(true);
            expect(await b.insertJobs([kind.make()])).toEqual([twin.id]);
            // Both run: nothing was lost.
            expect((await b.claimJobs(W2, null, 10)).map((j) => j.id).sort()).toEqual([original.id, twin.id].sort());
          });
        }

        test(`of ${kindName} jobs requeued together under one key, only the lowest id keeps the claim`, async () => {
          await b.registerWorker(worker(W1, 100), 0);
          const first = kind.make();
          await b.insertJobs([first]);
          await b.claimJobs(W1, null, 10);
          const second = kind.make();
          await b.insertJobs([second]);
          await b.claimJobs(W1, null, 10);
          const [low, high] = [first.id, second.id].sort() as [string, string];

          expect(await b.nackJobs(W1, [high, low])).toBe(2);
          expect(kind.holds((await b.getJob(low))!)).toBe(true);
          expect(await b.getJob(high)).toMatchObject({ status: "queued", ...kind.released });
          expect(await b.insertJobs([kind.make()])).toEqual([low]);
        });
      }

      test("with no twin queued, a requeued unique or dedup job keeps its claim", async () => {
        const unique = kinds.unique.make();
        const dedup = kinds.dedup.make();
        await b.insertJobs([unique]);
        await b.insertJobs([dedup]);
        await b.claimJobs(W1, null, 10);
        await b.applyOutcomes(W1, [{ kind: "retry", id: unique.id, attempts: 1, error: "x", delaySeconds: 0 }], 60);
        expect(await b.nackJobs(W1, [dedup.id])).toBe(1);
        expect(await b.getJob(unique.id)).toMatchObject({ status: "queued", uniqueJob: true, lastError: "x" });
        expect(await b.getJob(dedup.id)).toMatchObject({ status: "queued", dedupKey: "same-key" });
        expect(await b.insertJobs([kinds.unique.make()])).toEqual([unique.id]);
        expect(await b.insertJobs([kinds.dedup.make()])).toEqual([dedup.id]);
      });
    });

    describe("jobs", () => {
      beforeEach(registerBoth);

      test("list is newest first with filters, limit and offset", async () => {
        const first = job({ queue: "a" });
        await b.insertJobs([first]);
        await Bun.sleep(3);
        const second = job({ queue: "b", jobName: "other" });
        await b.insertJobs([second]);
        await Bun.sleep(3);
        const third = job({ queue: "a" });
        await b.insertJobs([third]);
        await b.claimJobs(W1, ["b"], 1);

        expect((await b.listJobs({})).map((j) => j.id)).toEqual([third.id, second.id, first.id]);
        expect((await b.listJobs({ queue: "a" })).map((j) => j.id)).toEqual([third.id, first.id]);
        expect((await b.listJobs({ status: "processing" })).map((j) => j.id)).toEqual([second.id]);
        expect((await b.listJobs({ jobName: "other" })).map((j) => j.id)).toEqual([second.id]);
        expect((await b.listJobs({ limit: 1, offset: 1 })).map((j) => j.id)).toEqual([second.id]);
      });

      test("get returns a full record with Dates", async () => {
        const scheduledAt = new Date(Date.now() + 5000);
        const j = job({ producerId: "p1", scheduledAt, maxAttempts: 5, priority: 7, queue: "q" });
        await b.insertJobs([j]);
        const row = (await b.getJob(j.id))!;
        expect(row).toMatchObject({
          id: j.id,
          jobName: "task",
          status: "queued",
          attempts: 0,
          maxAttempts: 5,
          queue: "q",
          priority: 7,
          uniqueJob: false,
          dedupKey: null,
          expiresAt: null,
          lastError: null,
          result: null,
          producerId: "p1",
          workerId: null,
        });
        expect(row.scheduledAt!.getTime()).toBe(scheduledAt.getTime());
        expect(row.createdAt).toBeInstanceOf(Date);
        expect(row.updatedAt).toBeInstanceOf(Date);
        expect(await b.getJob(Bun.randomUUIDv7())).toBeNull();
      });

      test("cancel only touches queued rows; delete removes any row", async () => {
        const queued = job();
        const running = job({ priority: 1 });
        await b.insertJobs([queued, running]);
        await b.claimJobs(W1, null, 1);
        expect(await b.cancelJob(running.id)).toBe(false);
        expect(await b.cancelJob(queued.id)).toBe(true);
        expect(await b.cancelJob(queued.id)).toBe(false);
        expect((await b.getJob(queued.id))!.status).toBe("cancelled");
        expect(await b.claimJobs(W1, null, 10)).toEqual([]);
        expect(await b.deleteJob(running.id)).toBe(true);
        expect(await b.deleteJob(running.id)).toBe(false);
      });

      test("stats and per-queue breakdown", async () => {
        await b.insertJobs([job({ queue: "a" }), job({ queue: "a" }), job({ queue: "b" }), job({ queue: "c", scheduledAt: new Date(Date.now() + 60_000) })]);
        await b.claimJobs(W1, ["b"], 1);
        const stats = await b.getQueueStats();
        expect(Object.keys(stats)).toEqual(["total", "queued", "processing", "done", "dead_letter", "cancelled"]);
        expect(stats).toEqual({ total: 4, queued: 3, processing: 1, done: 0, dead_letter: 0, cancelled: 0 });
        const breakdown = await b.getQueueBreakdown();
        expect(breakdown.map((q) => q.queue)).toEqual(["a", "b", "c"]);
        expect(breakdown[0]).toMatchObject({ queued: 2, processing: 0, done: 0, cancelled: 0 });
        expect(breakdown[0]!.oldestQueuedAgeSeconds).toBeGreaterThanOrEqual(0);
        expect(breakdown[1]).toMatchObject({ queued: 0, processing: 1, oldestQueuedAgeSeconds: null });
        // Only due jobs count towards the oldest age.
        expect(breakdown[2]).toMatchObject({ queued: 1, oldestQueuedAgeSeconds: null });
      });
    });

    describe("workers", () => {
      test("register, heartbeat, stop and list", async () => {
        expect(await b.registerWorker(worker(W1, 100), 0)).toBe(W1);
        await Bun.sleep(2);
        expect(await b.registerWorker(worker(W2, 200), 0)).toBe(W2);
        await b.heartbeat(W1, { running: 3 });
        await b.heartbeat(W2);
        await b.markWorkerStopped(W2);
        const list = await b.listWorkers();
        expect(list.map((w) => w.id)).toEqual([W2, W1]);
        expect(list[1]).toMatchObject({ hostname: "host-a", pid: 100, queues: ["default"], concurrency: 4, status: "active", version: "test", metadata: { running: 3 } });
        expect(list[0]).toMatchObject({ status: "stopped", metadata: { k: 1 } });
        expect(list[0]!.lastHeartbeat).toBeInstanceOf(Date);
        expect(list[0]!.startedAt).toBeInstanceOf(Date);
      });

      test("a live worker with the same hostname and pid is never taken over", async () => {
        await b.registerWorker(worker(W1, 100), 300);
        const j = job();
        await b.insertJobs([j]);
        await b.claimJobs(W1, null, 1);
        expect(await b.registerWorker(worker(W2, 100), 300)).toBeNull();
        expect(await b.getJob(j.id)).toMatchObject({ status: "processing", workerId: W1, attempts: 1 });
        expect(await b.registerWorker(worker(W2, 100, "host-a#2"), 300)).toBe(W2);
        expect((await b.listWorkers()).map((w) => w.id).sort()).toEqual([W1, W2]);
      });

      test("a restart with the same hostname and pid takes over the old id and requeues its jobs", async () => {
        await b.registerWorker(worker(W1, 100), 0);
        const j = job();
        await b.insertJobs([j]);
        await b.claimJobs(W1, null, 1);
        await b.markWorkerStopped(W1);
        expect(await b.registerWorker(worker(W2, 100), 0)).toBe(W1);
        expect(await b.getJob(j.id)).toMatchObject({ status: "queued", workerId: null, attempts: 1 });
        const list = await b.listWorkers();
        expect(list).toHaveLength(1);
        expect(list[0]).toMatchObject({ id: W1, status: "active" });
      });

      test("rescue stops silent workers and requeues their jobs, stopped workers' jobs and old ownerless jobs", async () => {
        await b.registerWorker(worker(W1, 100), 0);
        await b.registerWorker(worker(W2, 200), 0);
        const [a, c] = [job(), job()];
        await b.insertJobs([a, c]);
        await b.claimJobs(W1, null, 1);
        await b.claimJobs(W2, null, 1);
        // Margins in the hundreds of milliseconds: a loaded CI box must not make W2 look stale.
        await Bun.sleep(300);
        await b.heartbeat(W2);
        const rescued = await b.rescueStaleWorkers(0.25);
        expect(rescued).toEqual({ workers: 1, jobs: 1 });
        expect(await b.getJob(a.id)).toMatchObject({ status: "queued", workerId: null, attempts: 1 });
        expect((await b.getJob(c.id))!.status).toBe("processing");
        expect((await b.listWorkers()).find((w) => w.id === W1)!.status).toBe("stopped");

        // A stopped worker's jobs go back at the next pass even though it stopped "recently".
        await b.markWorkerStopped(W2);
        expect(await b.rescueStaleWorkers(3600)).toEqual({ workers: 0, jobs: 1 });
        expect((await b.getJob(c.id))!.status).toBe("queued");
        expect(await b.rescueStaleWorkers(3600)).toEqual({ workers: 0, jobs: 0 });
      });
    });

    describe("dead letters", () => {
      beforeEach(registerBoth);

      async function kill(overrides: Partial<NewJob> = {}, reason: "timeout" | "max_retries_exceeded" = "max_retries_exceeded") {
        const j = job(overrides);
        await b.insertJobs([j]);
        const claimed = await b.claimJobs(W1, null, 100);
        const mine = claimed.find((c) => c.id === j.id)!;
        await b.applyOutcomes(W1, [{ kind: "dead", id: j.id, attempts: mine.attempts, error: "x", reason, recordAttempts: 3 }], 60);
        return j;
      }

      test("replay mints a queued job, keeps the row and counts the resurrection", async () => {
        const dead = await kill({ queue: "q", priority: 50, maxAttempts: 4 });
        const heard: string[] = [];
        const stop = await b.listen((q) => heard.push(q));
        const newId = Bun.randomUUIDv7();
        expect(await b.replayDeadLetter(dead.id, newId, {})).toBe(newId);
        expect(await b.getJob(newId)).toMatchObject({ status: "queued", attempts: 0, queue: "q", priority: 50, maxAttempts: 4, args: JSON.parse(dead.argsJson) });
        const dl = (await b.getDeadLetter(dead.id))!;
        expect(dl.resurrectionCount).toBe(1);
        expect(dl.lastResurrectionAt).toBeInstanceOf(Date);

        const keptId = Bun.randomUUIDv7();
        expect(await b.replayDeadLetter(dead.id, keptId, { resetAttempts: false, queue: "other", priority: 1, maxAttempts: 9 })).toBe(keptId);
        expect(await b.getJob(keptId)).toMatchObject({ attempts: 3, queue: "other", priority: 1, maxAttempts: 9 });
        expect((await b.getDeadLetter(dead.id))!.resurrectionCount).toBe(2);

        expect(await b.replayDeadLetter(Bun.randomUUIDv7(), Bun.randomUUIDv7(), {})).toBeNull();
        await expectHeard(heard, ["other", "q"]);
        await stop();
      });

      test("list, count and purge filters; stats", async () => {
        const a = await kill({ jobName: "alpha", queue: "q1" });
        await Bun.sleep(3);
        const cut = new Date();
        await Bun.sleep(3);
        const c = await kill({ jobName: "beta", queue: "q2" }, "timeout");
        await b.replayDeadLetter(c.id, Bun.randomUUIDv7(), {});

        expect((await b.listDeadLetters({})).map((d) => d.id)).toEqual([c.id, a.id]);
        expect((await b.listDeadLetters({ limit: 1, offset: 1 })).map((d) => d.id)).toEqual([a.id]);
        expect((await b.listDeadLetters({ jobNames: ["alpha"] })).map((d) => d.id)).toEqual([a.id]);
        expect((await b.listDeadLetters({ jobNames: [] })).length).toBe(2);
        expect((await b.listDeadLetters({ queues: ["q2"] })).map((d) => d.id)).toEqual([c.id]);
        expect((await b.listDeadLetters({ reasons: ["timeout"] })).map((d) => d.id)).toEqual([c.id]);
        expect((await b.listDeadLetters({ since: cut })).map((d) => d.id)).toEqual([c.id]);
        expect((await b.listDeadLetters({ before: cut })).map((d) => d.id)).toEqual([a.id]);
        expect((await b.listDeadLetters({ resurrected: true })).map((d) => d.id)).toEqual([c.id]);
        expect((await b.listDeadLetters({ resurrected: false })).map((d) => d.id)).toEqual([a.id]);
        expect(await b.countDeadLetters({ queues: ["q1", "q2"], reasons: ["max_retries_exceeded"] })).toBe(1);

        const stats = await b.deadLetterStats();
        expect(stats).toMatchObject({
          total: 2,
          byJobName: { alpha: 1, beta: 1 },
          byQueue: { q1: 1, q2: 1 },
          byReason: { max_retries_exceeded: 1, timeout: 1 },
          resurrectedCount: 1,
          resurrectionSuccessRate: 50,
        });
        expect(Object.values(stats.byDate).reduce((a, n) => a + n, 0)).toBe(2);
        expect(stats.oldestAgeHours).toBeGreaterThanOrEqual(0);

        expect(await b.purgeDeadLetters({ resurrected: false, limit: 0 })).toBe(1);
        expect(await b.deleteDeadLetter(c.id)).toBe(true);
        expect(await b.deleteDeadLetter(c.id)).toBe(false);
        expect(await b.deadLetterStats()).toEqual({
          total: 0,
          byJobName: {},
          byQueue: {},
          byReason: {},
          oldestAgeHours: null,
          resurrectedCount: 0,
          resurrectionSuccessRate: 0,
          byDate: {},
        });
      });
    });

    describe("schedules", () => {
      const base = { scheduleType: "interval" as const, scheduleValue: "60", priority: 5, queue: "cron", maxAttempts: 2, args: { x: 1 } };

      test("upsert keeps status, history and next_run unless the schedule changed", async () => {
        const t1 = new Date(Date.now() + 60_000);
        const created = await b.upsertSchedule({ ...base, name: "tick", nextRun: t1 });
        expect(created).toMatchObject({ name: "tick", status: "active", runCount: 0, lastRun: null, lastJobId: null, args: { x: 1 } });
        expect(created.nextRun!.getTime()).toBe(t1.getTime());
        await b.setScheduleStatus("tick", "paused");

        const same = await b.upsertSchedule({ ...base, name: "tick", priority: 9, args: { x: 2 }, nextRun: new Date(t1.getTime() + 1) });
        expect(same).toMatchObject({ id: created.id, status: "paused", priority: 9, args: { x: 2 } });
        expect(same.nextRun!.getTime()).toBe(t1.getTime());

        const t2 = new Date(t1.getTime() + 5_000);
        const changed = await b.upsertSchedule({ ...base, name: "tick", scheduleValue: "30", nextRun: t2 });
        expect(changed.nextRun!.getTime()).toBe(t2.getTime());
        expect(changed.createdAt.getTime()).toBe(created.createdAt.getTime());

        await b.upsertSchedule({ ...base, name: "alpha", nextRun: t1 });
        expect((await b.listSchedules()).map((s) => s.name)).toEqual(["alpha", "tick"]);
        expect((await b.listSchedules("paused")).map((s) => s.name)).toEqual(["tick"]);
        expect((await b.getSchedule("alpha"))!.status).toBe("active");
        expect(await b.getSchedule("nope")).toBeNull();
        expect(await b.setScheduleStatus("nope", "paused")).toBe(false);
        expect(await b.removeSchedule("alpha")).toBe(true);
        expect(await b.removeSchedule("alpha")).toBe(false);
      });

      test("fire is a compare-and-swap on next_run that inserts the job in the same step", async () => {
        const t1 = new Date(Date.now() - 1_000);
        const t2 = new Date(t1.getTime() + 60_000);
        await b.upsertSchedule({ ...base, name: "tick", nextRun: t1 });
        const heard: string[] = [];
        const stop = await b.listen((q) => heard.push(q));

        const stale = job({ queue: "cron" });
        expect(await b.fireSchedule("tick", new Date(t1.getTime() - 5), t2, stale)).toBe(false);
        expect(await b.getJob(stale.id)).toBeNull();

        const fired = job({ queue: "cron" });
        expect(await b.fireSchedule("tick", t1, t2, fired)).toBe(true);
        expect((await b.getJob(fired.id))!.status).toBe("queued");
        const s = (await b.getSchedule("tick"))!;
        expect(s).toMatchObject({ runCount: 1, lastJobId: fired.id });
        expect(s.nextRun!.getTime()).toBe(t2.getTime());
        expect(s.lastRun).toBeInstanceOf(Date);

        // The loser of the race read the same next_run.
        const loser = job({ queue: "cron" });
        expect(await b.fireSchedule("tick", t1, t2, loser)).toBe(false);
        expect(await b.getJob(loser.id)).toBeNull();

        await b.setScheduleStatus("tick", "paused");
        expect(await b.fireSchedule("tick", t2, new Date(t2.getTime() + 60_000), job())).toBe(false);
        expect(await b.fireSchedule("missing", t2, t2, job())).toBe(false);
        await expectHeard(heard, ["cron"]);
        await stop();
      });

      test("a failing insert leaves the schedule untouched", async () => {
        const t1 = new Date(Date.now() - 1_000);
        await b.upsertSchedule({ ...base, name: "tick", nextRun: t1 });
        const existing = job();
        await b.insertJobs([existing]);
        await rejects(b.fireSchedule("tick", t1, new Date(t1.getTime() + 60_000), job({ id: existing.id })));
        const s = (await b.getSchedule("tick"))!;
        expect(s.runCount).toBe(0);
        expect(s.nextRun!.getTime()).toBe(t1.getTime());
      });
    });

    test("leader lock admits one caller at a time", async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const holding = new Promise<void>((r) => (entered = r));
      const first = b.withLeaderLock("maintenance", () => {
        entered();
        return gate;
      });
      // Taking the lock is a round trip on Postgres: wait until the first caller holds it.
      await holding;
      expect(await b.withLeaderLock("maintenance", async () => {})).toBe(false);
      expect(await b.withLeaderLock("scheduler", async () => {})).toBe(true);
      release();
      expect(await first).toBe(true);
      expect(await b.withLeaderLock("maintenance", async () => {})).toBe(true);
      await expect(b.withLeaderLock("maintenance", async () => Promise.reject(new Error("fn failed")))).rejects.toThrow("fn failed");
      expect(await b.withLeaderLock("maintenance", async () => {})).toBe(true);
    });

    test("reset empties jobs, dead letters, schedules and workers", async () => {
      await b.registerWorker(worker(W1, 1), 0);
      await b.insertJobs([job(), job()]);
      const [c] = await b.claimJobs(W1, null, 1);
      await b.applyOutcomes(W1, [{ kind: "dead", id: c!.id, attempts: 1, error: "x", reason: "timeout", recordAttempts: 1 }], 60);
      await b.upsertSchedule({ name: "s", scheduleType: "cron", scheduleValue: "* * * * *", priority: 1, queue: "q", maxAttempts: 1, args: {}, nextRun: new Date() });
      await b.reset();
      expect((await b.getQueueStats()).total).toBe(0);
      expect(await b.listWorkers()).toEqual([]);
      expect(await b.listSchedules()).toEqual([]);
      expect(await b.countDeadLetters({})).toBe(0);
      // Still usable afterwards (workers register again, as a running worker would on restart).
      await b.registerWorker(worker(W1, 1), 0);
      await b.insertJobs([job()]);
      expect(await b.claimJobs(W1, null, 5)).toHaveLength(1);
    });
  });
}

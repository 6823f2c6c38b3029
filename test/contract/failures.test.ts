import { afterEach, describe, expect, test } from "bun:test";
import { Soniq, Type } from "../../src/index.ts";
import { BACKENDS, contractApp } from "./backends.ts";

describe.each(BACKENDS)("failure contract: $name", (backend) => {
  let app: Soniq;
  afterEach(async () => {
    await app?.close();
  });

  test("retries then dead-letters with the seeds' reason and error text", async () => {
    app = await contractApp(backend);
    let calls = 0;
    const job = app.job({ name: "flaky.job", retries: 2 }, async () => {
      calls++;
      throw new RangeError("boom");
    });
    const id = await app.enqueue(job, {});
    await app.runWorker({ runOnce: true, maxJobs: 1 });
    let row = (await app.getJob(id))!;
    expect(row).toMatchObject({ status: "queued", attempts: 1 });
    expect(row.lastError).toStartWith("RangeError: boom");
    await app.runWorker({ runOnce: true });
    expect(calls).toBe(3);
    expect(await app.getJob(id)).toBeNull();
    const dead = (await app.deadLetter.get(id))!;
    expect(dead).toMatchObject({ reason: "max_retries_exceeded", attempts: 3, maxAttempts: 3, jobName: "flaky.job" });
    expect(dead.lastError).toStartWith("Max retries exceeded: RangeError: boom");
    expect((await app.getQueueStats()).dead_letter).toBe(1);
  });

  test("retry delay puts the job back with scheduled_at in the future", async () => {
    app = await contractApp(backend);
    const job = app.job({ name: "delayed.retry", retries: 1, retryDelay: [30] }, async () => {
      throw new Error("later");
    });
    const id = await app.enqueue(job, {});
    const before = Date.now();
    await app.runWorker({ runOnce: true });
    const ranFor = (Date.now() - before) / 1000;
    const row = (await app.getJob(id))!;
    expect(row.status).toBe("queued");
    // The job failed somewhere inside the run; 30 s from then, whatever the machine's load (1 s of clock slack).
    const delay = (row.scheduledAt!.getTime() - before) / 1000;
    expect(delay).toBeGreaterThan(29);
    expect(delay).toBeLessThan(30 + ranFor + 1);
  });

  test("timeout counts as a failed attempt; the last one dead-letters as timeout", async () => {
    app = await contractApp(backend);
    let aborted = 0;
    const job = app.job({ name: "slow.job", retries: 1, timeout: 0.1 }, async (_args, ctx) => {
      ctx.signal.addEventListener("abort", () => aborted++);
      await Bun.sleep(2000);
    });
    const id = await app.enqueue(job, {});
    await app.runWorker({ runOnce: true, maxJobs: 1 });
    const row = (await app.getJob(id))!;
    expect(row).toMatchObject({ status: "queued", attempts: 1, lastError: "Job timed out after 0.1s" });
    await app.runWorker({ runOnce: true });
    expect(await app.deadLetter.get(id)).toMatchObject({ reason: "timeout", attempts: 2, lastError: "Max retries exceeded: Job timed out after 0.1s" });
    expect(aborted).toBe(2);
  });

  test("stored args the consumer schema rejects go straight to the dead-letter queue", async () => {
    app = await contractApp(backend, { enqueueValidation: "none" });
    const errors: unknown[] = [];
    app.onError((_ctx, e) => void errors.push(e));
    app.job({ name: "strict.consumer", validate: Type.Object({ orderId: Type.String() }) }, async () => "never");
    const producer = new Soniq({ backend: app.backend, enqueueValidation: "none", logLevel: "error" });
    const id = await producer.enqueue("strict.consumer", { orderId: 42 });
    await app.runWorker({ runOnce: true });
    const dead = (await app.deadLetter.get(id))!;
    expect(dead.reason).toBe("invalid_arguments");
    expect(dead.attempts).toBe(dead.maxAttempts);
    expect(dead.lastError).toContain("orderId");
    expect(errors).toHaveLength(0);
  });

  test("a row claimed more often than allowed is dead-lettered by the crash guard", async () => {
    app = await contractApp(backend);
    const job = app.job({ name: "crashy.job", retries: 0 }, async () => "ran");
    const id = await app.enqueue(job, {});
    // Simulate a worker that died mid-job: claim without finishing, then rescue.
    const backendRef = app.backend;
    const workerId = (await backendRef.registerWorker({ id: Bun.randomUUIDv7(), hostname: "ghost", pid: 1, queues: [], concurrency: 1, version: "t", metadata: {} }, 0))!;
    await backendRef.claimJobs(workerId, null, 1);
    await backendRef.markWorkerStopped(workerId);
    await backendRef.rescueStaleWorkers(300);
    expect((await app.getJob(id))!).toMatchObject({ status: "queued", attempts: 1 });
    await app.runWorker({ runOnce: true });
    expect(await app.deadLetter.get(id)).toMatchObject({ reason: "max_retries_exceeded", lastError: "Max attempts exceeded (job crashed repeatedly)", attempts: 2 });
  });

  test("dead-letter replay mints a new job; the row stays with its count; purge removes it", async () => {
    app = await contractApp(backend);
    let fail = true;
    const job = app.job({ name: "replay.job", retries: 0 }, async ({ n }: { n: number }) => {
      if (fail) throw new Error("first time");
      return n;
    });
    const id = await app.enqueue(job, { n: 9 }, { queue: "replays", priority: 7 });
    await app.runWorker({ runOnce: true });
    expect((await app.deadLetter.list()).map((d) => d.id)).toEqual([id]);
    fail = false;
    const fresh = (await app.deadLetter.replay(id))!;
    expect(fresh).not.toBe(id);
    expect(await app.getJob(fresh)).toMatchObject({ status: "queued", attempts: 0, args: { n: 9 }, queue: "replays", priority: 7 });
    const again = (await app.deadLetter.replay(id))!;
    expect(again).not.toBe(fresh);
    expect(await app.deadLetter.get(id)).toMatchObject({ resurrectionCount: 2 });
    expect(await app.deadLetter.replay("00000000-0000-0000-0000-000000000000")).toBeNull();
    await app.runWorker({ runOnce: true });
    expect(await app.getResult(fresh)).toBe(9);
    expect(await app.deadLetter.list({ resurrected: true })).toHaveLength(1);
    expect(await app.deadLetter.list({ reasons: ["job_not_found"] })).toHaveLength(0);
    const stats = await app.deadLetter.stats();
    expect(stats).toMatchObject({ total: 1, byJobName: { "replay.job": 1 }, byReason: { max_retries_exceeded: 1 }, resurrectedCount: 1 });
    const csv = await app.deadLetter.export({}, "csv");
    expect(csv.split("\n")[1]).toStartWith(id);
    expect(await app.deadLetter.purge({ jobNames: ["other"] })).toBe(0);
    expect(await app.deadLetter.purge()).toBe(1);
    expect((await app.getQueueStats()).dead_letter).toBe(0);
  });

  test("hooks run in order with a JobContext; a throwing hook never breaks the job", async () => {
    app = await contractApp(backend);
    const events: string[] = [];
    app.beforeJob((ctx) => void events.push(`before:${ctx.jobName}:${ctx.attempt}/${ctx.maxAttempts}`));
    app.beforeJob(async () => {
      throw new Error("broken hook");
    });
    app.afterJob(async (ctx, { durationMs, result }) => void events.push(`after:${ctx.jobName}:${typeof durationMs}:${result}`));
    app.onError((ctx, error, { willRetry }) => void events.push(`error:${ctx.jobName}:${(error as Error).message}:${willRetry}`));
    let seenCtx: unknown;
    const ok = app.job({ name: "hooks.ok" }, async (_a, ctx) => {
      seenCtx = ctx;
      return "fine";
    });
    const bad = app.job({ name: "hooks.bad", retries: 0 }, async () => {
      throw new Error("nope");
    });
    const id = await app.enqueue(ok, {}, { queue: "q1" });
    await app.runWorker({ runOnce: true, concurrency: 1 });
    await app.enqueue(bad, {});
    await app.runWorker({ runOnce: true, concurrency: 1 });
    expect(events).toEqual(["before:hooks.ok:1/4", "after:hooks.ok:number:fine", "before:hooks.bad:1/1", "error:hooks.bad:nope:false"]);
    expect(seenCtx).toMatchObject({ jobId: id, jobName: "hooks.ok", attempt: 1, maxAttempts: 4, queue: "q1" });
    expect((seenCtx as { workerId: string }).workerId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await app.getResult(id)).toBe("fine");
  });

  test("claims whose reply was lost are requeued as orphans; held ones are kept", async () => {
    app = await contractApp(backend);
    app.job({ name: "orphan.job" }, async () => {});
    const ids = await app.enqueueMany("orphan.job", [{ i: 1 }, { i: 2 }, { i: 3 }]);
    const b = app.backend;
    const workerId = (await b.registerWorker({ id: Bun.randomUUIDv7(), hostname: "orphans", pid: 7, queues: [], concurrency: 1, version: "t", metadata: {} }, 0))!;
    expect(await b.claimJobs(workerId, null, 3)).toHaveLength(3);
    expect(await b.requeueOrphans(workerId, [ids[0]!])).toBe(2);
    expect((await app.getJob(ids[0]!))!.status).toBe("processing");
    for (const id of ids.slice(1)) expect(await app.getJob(id)).toMatchObject({ status: "queued", attempts: 1, workerId: null });
  });
});

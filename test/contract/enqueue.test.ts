import { afterEach, describe, expect, test } from "bun:test";
import { ErrorCodes, Soniq, Type, taskRef } from "../../src/index.ts";
import { BACKENDS, contractApp } from "./backends.ts";

describe.each(BACKENDS)("enqueue contract: $name", (backend) => {
  let app: Soniq;
  afterEach(async () => {
    await app?.close();
  });

  test("a registered job gets a queued row with the defaults, then runs to done with its result", async () => {
    app = await contractApp(backend);
    const add = app.job({ name: "math.add" }, async ({ a, b }: { a: number; b: number }) => ({ sum: a + b }));
    const id = await app.enqueue(add, { a: 2, b: 3 });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const row = await app.getJob(id);
    expect(row).toMatchObject({ status: "queued", attempts: 0, maxAttempts: 4, priority: 100, queue: "default", jobName: "math.add", args: { a: 2, b: 3 } });
    const summary = await app.runWorker({ runOnce: true });
    expect(summary.succeeded).toBe(1);
    expect(await app.getResult(id)).toEqual({ sum: 5 });
    const done = (await app.getJob(id))!;
    expect(done.status).toBe("done");
    expect(done.attempts).toBe(1);
    const retention = (done.expiresAt!.getTime() - done.updatedAt.getTime()) / 1000;
    expect(retention).toBeGreaterThan(299);
    expect(retention).toBeLessThan(301);
    expect(await app.getJobStatus(id)).toMatchObject({ status: "done", result: { sum: 5 } });
  });

  test("a handler returning nothing is done with a null result; resultTtl 0 deletes the row", async () => {
    app = await contractApp(backend, { resultTtl: 0 });
    const noop = app.job({ name: "noop.job" }, async () => {});
    const id = await app.enqueue(noop);
    await app.runWorker({ runOnce: true });
    expect(await app.getJob(id)).toBeNull();
    expect(await app.getResult(id)).toBeNull();
  });

  test("by task name and by taskRef; strict, warn and none validation modes", async () => {
    app = await contractApp(backend);
    app.job({ name: "users.send_welcome" }, async () => "ok");
    const byName = await app.enqueue("users.send_welcome", { userId: 1 });
    expect((await app.getJob(byName))!.jobName).toBe("users.send_welcome");
    await expect(app.enqueue("users.unknown", {})).rejects.toMatchObject({ code: ErrorCodes.UNKNOWN_TASK_NAME });
    await expect(app.enqueue("Bad Name", {})).rejects.toMatchObject({ code: ErrorCodes.INVALID_TASK_NAME });
    const ref = taskRef("billing.invoices.send.v2", Type.Object({ orderId: Type.String() }), { defaultQueue: "billing" });
    const refId = await app.enqueue(ref, { orderId: "o1" });
    expect((await app.getJob(refId))!.queue).toBe("billing");
    await expect(app.enqueue(ref, { orderId: 1 } as never)).rejects.toMatchObject({ code: ErrorCodes.VALIDATION_FAILED });
    expect((await app.getQueueStats()).queued).toBe(2);

    const lines: string[] = [];
    const warn = new Soniq({ databaseUrl: "memory:", enqueueValidation: "warn", logLevel: "warn", logSink: (l) => lines.push(l) });
    await warn.enqueue("other.service_job", {});
    await warn.enqueue("other.service_job", {});
    expect(lines.filter((l) => l.includes("other.service_job"))).toHaveLength(1);
    expect((await warn.getQueueStats()).queued).toBe(2);
    await warn.close();
  });

  test("an unknown name written in none mode is dead-lettered as job_not_found", async () => {
    app = await contractApp(backend, { enqueueValidation: "none" });
    const id = await app.enqueue("elsewhere.job", { x: 1 });
    await app.runWorker({ runOnce: true });
    expect(await app.getJob(id)).toBeNull();
    const dead = (await app.deadLetter.get(id))!;
    expect(dead).toMatchObject({ reason: "job_not_found", lastError: "Job elsewhere.job not registered.", attempts: 4, maxAttempts: 4 });
    expect(await app.getJobStatus(id)).toMatchObject({ status: "dead_letter" });
  });

  test("validate rejects bad args at enqueue and writes nothing", async () => {
    app = await contractApp(backend);
    const job = app.job({ name: "typed.job", validate: Type.Object({ userId: Type.Integer(), template: Type.Optional(Type.String()) }) }, async ({ userId }) => userId);
    await expect(app.enqueue(job, { userId: "nope" } as never)).rejects.toMatchObject({ code: ErrorCodes.VALIDATION_FAILED });
    await expect(app.enqueue(job, {} as never)).rejects.toMatchObject({ code: ErrorCodes.VALIDATION_FAILED });
    expect((await app.getQueueStats()).total).toBe(0);
    await app.enqueue(job, { userId: 7 });
    expect((await app.getQueueStats()).queued).toBe(1);
  });

  test("bad input gets a stable code and writes nothing", async () => {
    app = await contractApp(backend, { maxArgsBytes: 1024 });
    const job = app.job({ name: "any.job" }, async () => {});
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: [unknown, unknown, string][] = [
      [{ fn: () => 1 }, {}, ErrorCodes.NOT_SERIALIZABLE],
      [{ n: 10n }, {}, ErrorCodes.NOT_SERIALIZABLE],
      [cyclic, {}, ErrorCodes.NOT_SERIALIZABLE],
      [{ big: "x".repeat(2000) }, {}, ErrorCodes.ARGS_TOO_LARGE],
      [[1, 2], {}, ErrorCodes.INVALID_ARGUMENT],
      [{}, { priority: 0 }, ErrorCodes.INVALID_ARGUMENT],
      [{}, { priority: 1001 }, ErrorCodes.INVALID_ARGUMENT],
      [{}, { scheduledAt: new Date("nope") }, ErrorCodes.INVALID_ARGUMENT],
      [{}, { scheduledAt: -5 }, ErrorCodes.INVALID_ARGUMENT],
      [{}, { queue: "" }, ErrorCodes.INVALID_ARGUMENT],
      [{}, { dedupKey: "" }, ErrorCodes.INVALID_ARGUMENT],
      [{}, { colour: "red" }, ErrorCodes.INVALID_ARGUMENT],
    ];
    for (const [args, options, code] of cases) {
      await expect(app.enqueue(job, args as never, options as never)).rejects.toMatchObject({ code });
    }
    if (backend.name !== "postgres") {
      await expect(app.enqueue(job, {}, { connection: {} })).rejects.toMatchObject({ code: ErrorCodes.UNSUPPORTED });
    }
    expect((await app.getQueueStats()).total).toBe(0);
  });

  test("priority first, then FIFO; scheduled jobs never early; queue filters", async () => {
    app = await contractApp(backend);
    const seen: string[] = [];
    const job = app.job({ name: "order.job" }, async ({ tag }: { tag: string }) => void seen.push(tag));
    await app.enqueue(job, { tag: "p50" }, { priority: 50 });
    await app.enqueue(job, { tag: "p10" }, { priority: 10 });
    await app.enqueue(job, { tag: "p100-a" }, { priority: 100 });
    await app.enqueue(job, { tag: "p100-b" }, { priority: 100 });
    await app.enqueue(job, { tag: "later" }, { scheduledAt: 3600 });
    await app.enqueue(job, { tag: "other-queue" }, { queue: "other" });
    await app.runWorker({ runOnce: true, concurrency: 1, queues: ["default"] });
    expect(seen).toEqual(["p10", "p50", "p100-a", "p100-b"]);
    await app.runWorker({ runOnce: true, concurrency: 1 });
    expect(seen.at(-1)).toBe("other-queue");
    expect((await app.getQueueStats()).queued).toBe(1);
    const soon = await app.schedule(job, 0.3, { tag: "soon" });
    await app.runWorker({ runOnce: true });
    expect((await app.getJob(soon))!.status).toBe("queued");
    await Bun.sleep(400);
    await app.runWorker({ runOnce: true });
    expect((await app.getJob(soon))!.status).toBe("done");
  });

  test("unique and dedupKey return the existing queued job", async () => {
    app = await contractApp(backend);
    const sync = app.job({ name: "users.sync", unique: true }, async () => {});
    const a = await app.enqueue(sync, { userId: 42 });
    expect(await app.enqueue(sync, { userId: 42 })).toBe(a);
    const b = await app.enqueue(sync, { userId: 99 });
    expect(b).not.toBe(a);
    const ids = await Promise.all(Array.from({ length: 10 }, () => app.enqueue(sync, { userId: 7 })));
    expect(new Set(ids).size).toBe(1);
    const plain = app.job({ name: "users.plain" }, async () => {});
    const k1 = await app.enqueue(plain, { x: 1 }, { dedupKey: "k" });
    expect(await app.enqueue(plain, { x: 2 }, { dedupKey: "k" })).toBe(k1);
    expect((await app.getQueueStats()).queued).toBe(4);
    await app.runWorker({ runOnce: true });
    expect(await app.enqueue(sync, { userId: 42 })).not.toBe(a);
    expect(await app.enqueue(plain, { x: 1 }, { dedupKey: "k" })).not.toBe(k1);
  });

  test("enqueueMany: ids in order, one call; empty; bad item; unique refused", async () => {
    app = await contractApp(backend);
    const seen: number[] = [];
    const job = app.job({ name: "bulk.job" }, async ({ n }: { n: number }) => void seen.push(n));
    const ids = await app.enqueueMany(job, [{ n: 1 }, { n: 2 }, { n: 3 }], { queue: "bulk", priority: 5 });
    expect(ids).toHaveLength(3);
    for (const [i, id] of ids.entries()) expect((await app.getJob(id))!.args).toEqual({ n: i + 1 });
    expect(await app.enqueueMany(job, [])).toEqual([]);
    await expect(app.enqueueMany(job, [{ n: 1 }, 5 as never])).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, context: { index: 1 } });
    const uniq = app.job({ name: "bulk.unique", unique: true }, async () => {});
    await expect(app.enqueueMany(uniq, [{}])).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    await app.runWorker({ runOnce: true, concurrency: 1 });
    expect(seen).toEqual([1, 2, 3]);
  });

  test("cancel only queued jobs; delete any; list and stats", async () => {
    app = await contractApp(backend);
    const job = app.job({ name: "manage.job" }, async () => {});
    const a = await app.enqueue(job, { i: 1 }, { queue: "billing" });
    const b = await app.enqueue(job, { i: 2 });
    expect(await app.cancelJob(a)).toBe(true);
    expect(await app.cancelJob(a)).toBe(false);
    expect((await app.getJob(a))!.status).toBe("cancelled");
    expect(await app.cancelJob("00000000-0000-0000-0000-000000000000")).toBe(false);
    expect(await app.cancelJob("not-a-uuid")).toBe(false);
    expect((await app.listJobs({ queue: "billing" })).map((j) => j.id)).toEqual([a]);
    expect((await app.listJobs({ status: "queued" })).map((j) => j.id)).toEqual([b]);
    expect(await app.listJobs({ limit: 1 })).toHaveLength(1);
    const stats = await app.getQueueStats();
    expect(Object.keys(stats).sort()).toEqual(["cancelled", "dead_letter", "done", "processing", "queued", "total"]);
    expect(stats).toMatchObject({ total: 2, queued: 1, cancelled: 1 });
    expect(await app.deleteJob(b)).toBe(true);
    expect(await app.getJob(b)).toBeNull();
    const breakdown = await app.getQueueBreakdown();
    expect(breakdown.find((q) => q.queue === "billing")).toMatchObject({ cancelled: 1, queued: 0 });
  });
});

/**
 * Group commit never spreads one caller's failure: every row is validated before it joins a
 * group, a group the database refuses is retried row by row, and close() settles every caller.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ErrorCodes, type Soniq } from "../../src/index.ts";
import { BACKENDS, contractApp } from "../contract/backends.ts";
import { testApp } from "../helpers/db.ts";

let app: Soniq | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe.each(BACKENDS)("enqueue isolation: $name", (backend) => {
  test("60 concurrent enqueues with two bad callers: the bad ones get coded errors, 58 rows are written", async () => {
    app = await contractApp(backend);
    const job = app.job({ name: "iso.enqueue" }, async () => {});
    const calls = Array.from({ length: 60 }, (_, i) => {
      if (i === 7) return app!.enqueue(job, { i }, { scheduledAt: 1e300 });
      if (i === 31) return app!.enqueue(job, { i, text: "lone \uD800 surrogate" });
      return app!.enqueue(job, { i });
    });
    const results = await Promise.allSettled(calls);
    const rejected = results.flatMap((r, i) => (r.status === "rejected" ? [[i, (r.reason as { code?: string }).code]] : []));
    expect(rejected).toEqual([
      [7, ErrorCodes.INVALID_ARGUMENT],
      [31, ErrorCodes.NOT_SERIALIZABLE],
    ]);
    expect((await app.getQueueStats()).queued).toBe(58);
  });

  test("run times outside years 1-9999 are refused before anything is written", async () => {
    app = await contractApp(backend);
    const job = app.job({ name: "iso.run_time" }, async () => {});
    for (const scheduledAt of [1e300, new Date(8.64e15), new Date(-8.64e15), new Date("0000-12-31T00:00:00Z"), new Date(Number.NaN)]) {
      await expect(app.enqueue(job, {}, { scheduledAt })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
      await expect(app.schedule(job, scheduledAt as Date)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    }
    const edge = await app.enqueue(job, {}, { scheduledAt: new Date("9999-12-31T23:59:59.000Z") });
    expect((await app.getJob(edge))!.scheduledAt!.toISOString()).toBe("9999-12-31T23:59:59.000Z");
    expect((await app.getQueueStats()).queued).toBe(1);
  });

  test("close() settles every enqueue already called; each caller's answer matches the table", async () => {
    app = await contractApp(backend);
    const job = app.job({ name: "iso.drain" }, async () => {});
    const calls = Array.from({ length: 3000 }, (_, i) => app!.enqueue(job, { i }));
    const closing = app.close();
    const results = await Promise.allSettled(calls);
    await closing;
    const written = results.filter((r) => r.status === "fulfilled").length;
    expect(written).toBe(3000);
    app = await contractApp(backend, backend.name === "memory" ? {} : { databaseUrl: (app.settings.databaseUrl) });
    if (backend.name !== "memory") expect((await app.getQueueStats()).queued).toBe(3000);
  });
});

describe("enqueue groups on PostgreSQL", () => {
  test("a group the database refuses is retried row by row: only the offending caller fails", async () => {
    app = await testApp();
    await app.setup();
    // A rule only the database knows: a CHECK constraint refuses one row (SQLSTATE 23514).
    await app.sql.unsafe("ALTER TABLE soniq_jobs ADD CONSTRAINT no_poison CHECK (args->>'poison' IS NULL)");
    const job = app.job({ name: "iso.refused_group" }, async () => {});
    const calls = Array.from({ length: 60 }, (_, i) => app!.enqueue(job, i === 13 ? { i, poison: "yes" } : { i }));
    const results = await Promise.allSettled(calls);
    const rejected = results.flatMap((r, i) => (r.status === "rejected" ? [i] : []));
    expect(rejected).toEqual([13]);
    expect(((results[13] as PromiseRejectedResult).reason as { code?: string }).code).toBe("23514");
    expect((await app.getQueueStats()).queued).toBe(59);
  });

  test("backpressure: 25,000 concurrent enqueues (more than the pending bound) all land", async () => {
    app = await testApp();
    await app.setup();
    const job = app.job({ name: "iso.backpressure" }, async () => {});
    const ids = await Promise.all(Array.from({ length: 25_000 }, (_, i) => app!.enqueue(job, { i })));
    expect(new Set(ids).size).toBe(25_000);
    expect((await app.getQueueStats()).queued).toBe(25_000);
  });
});

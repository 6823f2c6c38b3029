/**
 * The store-copy methods of the backend contract (`soniq migrate-store`): export in id order and
 * pages, lookups of the rows a copy could collide with, the copy ledger, and an import that is all
 * or nothing. Then a whole copy between two stores of each kind with the shared planner.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Soniq } from "../../src/index.ts";
import { executeStoreCopy, planStoreCopy } from "../../src/backends/store-copy.ts";
import type { StoredJob } from "../../src/backends/types.ts";
import { BACKENDS, contractApp } from "./backends.ts";

describe.each(BACKENDS)("store copy contract: $name", (backend) => {
  const apps: Soniq[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });
  async function store() {
    const app = await contractApp(backend, { enqueueValidation: "none" });
    apps.push(app);
    return app;
  }

  test("export pages queued jobs in id order, every column kept", async () => {
    const app = await store();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await app.enqueue("copy.job", { i }, { queue: "q", priority: i + 1 }));
    const dedup = await app.enqueue("copy.job", { d: 1 }, { dedupKey: "k" });
    const cancelled = await app.enqueue("copy.job", { c: 1 });
    await app.cancelJob(cancelled);
    const b = app.backend;
    const first = await b.exportQueuedJobs(null, 4);
    const rest = await b.exportQueuedJobs(first[first.length - 1]!.id, 4);
    const all = [...first, ...rest];
    expect(all.map((j) => j.id)).toEqual([...ids, dedup].sort());
    expect(all.every((j) => j.status === "queued")).toBe(true);
    const j2 = all.find((j) => j.id === ids[2])!;
    expect(JSON.parse(j2.argsJson)).toEqual({ i: 2 });
    expect(j2).toMatchObject({ jobName: "copy.job", queue: "q", priority: 3, attempts: 0, uniqueJob: false, dedupKey: null });
    expect(all.find((j) => j.id === dedup)!.dedupKey).toBe("k");
  });

  test("lookup finds ids, unique and dedup holders, schedules and ledger entries; import is all or nothing", async () => {
    const app = await store();
    const b = app.backend;
    const plain = await app.enqueue("copy.job", { p: 1 });
    const unique = await app.enqueue("copy.job", { u: 1 }, { unique: true });
    const dedup = await app.enqueue("copy.job", { d: 1 }, { dedupKey: "k" });
    await app.scheduler.add({ name: "copy.tick", every: 60 });
    const [uniqueRow] = (await b.exportQueuedJobs(null, 10)).filter((j) => j.id === unique);
    const found = await b.lookupStoreRows({
      jobIds: [plain, Bun.randomUUIDv7()],
      deadLetterIds: [],
      scheduleNames: ["copy.tick", "copy.none"],
      uniqueKeys: [{ jobName: "copy.job", argsHash: uniqueRow!.argsHash! }],
      dedupKeys: ["k", "other"],
    });
    expect(found.jobs.map((j) => j.id).sort()).toEqual([plain, unique, dedup].sort());
    expect(found.schedules.map((s) => s.name)).toEqual(["copy.tick"]);
    expect(found.imported).toEqual([]);

    const fresh = (over: Partial<StoredJob>): StoredJob => ({
      id: Bun.randomUUIDv7(),
      jobName: "copy.in",
      argsJson: '{"x": 1}',
      argsHash: null,
      status: "queued",
      attempts: 2,
      maxAttempts: 5,
      queue: "in",
      priority: 3,
      uniqueJob: false,
      dedupKey: null,
      scheduledAt: new Date(Date.now() + 60_000),
      lastError: "boom",
      producerId: "elsewhere",
      createdAt: new Date(1_700_000_000_000),
      updatedAt: new Date(1_700_000_001_000),
      ...over,
    });
    // The second job collides with the queued dedup holder: the batch writes nothing.
    const ok = fresh({});
    const clash = fresh({ dedupKey: "k" });
    await expect(b.importStoreRows({ jobs: [ok, clash], deadLetters: [], schedules: [], present: [] })).rejects.toThrow();
    expect(await b.getJob(ok.id)).toBeNull();

    await b.importStoreRows({ jobs: [ok], deadLetters: [], schedules: [], present: [{ kind: "job", key: plain }] });
    const got = (await b.getJob(ok.id))!;
    expect(got).toMatchObject({ jobName: "copy.in", args: { x: 1 }, attempts: 2, maxAttempts: 5, queue: "in", priority: 3, lastError: "boom", producerId: "elsewhere" });
    expect(got.createdAt.getTime()).toBe(1_700_000_000_000);
    expect(got.scheduledAt!.getTime()).toBe(ok.scheduledAt!.getTime());
    const again = await b.lookupStoreRows({ jobIds: [ok.id, plain, clash.id], deadLetterIds: [], scheduleNames: [], uniqueKeys: [], dedupKeys: [] });
    expect(again.imported.map((i) => i.key).sort()).toEqual([ok.id, plain].sort());
  });

  test("a whole copy into a store of the same kind, then a second one copies nothing", async () => {
    const from = await store();
    const to = await store();
    for (let i = 0; i < 7; i++) await from.enqueue("copy.job", { i });
    await from.enqueue("copy.job", { u: 1 }, { unique: true });
    await from.scheduler.add({ name: "copy.tick", every: 60, args: { a: 1 } });
    const options = { batchSize: 3, targetKind: to.backend.kind };
    const plan = await planStoreCopy(from.backend, to.backend, options);
    expect(plan.conflictCount).toBe(0);
    expect(plan.jobs).toEqual({ total: 8, copy: 8, present: 0, copiedBefore: 0 });
    const batches: number[] = [];
    const result = await executeStoreCopy(from.backend, to.backend, { ...options, totals: plan, onBatch: (p) => batches.push(p.written) });
    expect(result).toEqual({ jobs: 8, schedules: 1, deadLetters: 0, present: 0 });
    expect(batches).toEqual([3, 3, 2, 1]);
    expect((await to.getQueueStats()).queued).toBe(8);
    expect((await to.scheduler.get("copy.tick"))!.args).toEqual({ a: 1 });
    const second = await planStoreCopy(from.backend, to.backend, options);
    expect(second.jobs).toEqual({ total: 8, copy: 0, present: 0, copiedBefore: 8 });
    expect(second.schedules).toEqual({ total: 1, copy: 0, present: 0, copiedBefore: 1 });
  });
});

describe("store copy into PostgreSQL: what it cannot store is a conflict, found before writing", () => {
  test("a non-UUID id and NUL characters (SQLite accepts both) are reported, not half-copied", async () => {
    const [sqliteCase, pgCase] = [BACKENDS.find((b) => b.name === "sqlite")!, BACKENDS.find((b) => b.name === "postgres")!];
    const from = await contractApp(sqliteCase, { enqueueValidation: "none" });
    const to = await contractApp(pgCase);
    try {
      const good = await from.enqueue("copy.job", { ok: 1 });
      const base = (await from.backend.exportQueuedJobs(null, 1))[0]!;
      await from.backend.importStoreRows({
        jobs: [
          { ...base, id: "not-a-uuid" },
          { ...base, id: Bun.randomUUIDv7(), lastError: "nul \u0000 here" },
          { ...base, id: Bun.randomUUIDv7(), argsJson: '{"s":"\\u0000"}' },
        ],
        deadLetters: [],
        schedules: [],
        present: [],
      });
      const plan = await planStoreCopy(from.backend, to.backend, { targetKind: "postgres" });
      expect(plan.jobs).toMatchObject({ total: 4, copy: 1 });
      expect(plan.conflictCount).toBe(3);
      expect(plan.conflicts.map((c) => c.message).join("\n")).toContain("not-a-uuid (copy.job): its id is not a UUID");
      expect(plan.conflicts.filter((c) => c.message.includes("NUL character"))).toHaveLength(2);
      expect(plan.conflicts.some((c) => c.key === good)).toBe(false);
    } finally {
      await Promise.all([from.close(), to.close()]);
    }
  });
});

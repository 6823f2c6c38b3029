/** The read-only queries the dashboard added to the storage contract, on all three backends. */
import { afterEach, describe, expect, test } from "bun:test";
import type { Soniq } from "../../src/index.ts";
import { BACKENDS, contractApp } from "../contract/backends.ts";

describe.each(BACKENDS)("dashboard storage queries: $name", (backend) => {
  let app: Soniq;
  afterEach(async () => {
    await app?.close();
  });

  test("searchJobs filters, searches, pages and counts", async () => {
    app = await contractApp(backend, { enqueueValidation: "none" });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await app.enqueue("mail.send", { to: `user${i}@example.com`, Marker: "Needle" }, { queue: "mail" }));
    for (let i = 0; i < 3; i++) await app.enqueue("report.build", { n: i });
    const b = app.backend;

    const all = await b.searchJobs({ limit: 2 });
    expect(all.total).toBe(8);
    expect(all.jobs).toHaveLength(2);

    const page = await b.searchJobs({ queue: "mail", limit: 2, offset: 4 });
    expect(page.total).toBe(5);
    expect(page.jobs).toHaveLength(1);

    const beyond = await b.searchJobs({ queue: "mail", limit: 2, offset: 50 });
    expect(beyond).toEqual({ total: 5, jobs: [] });

    expect((await b.searchJobs({ search: "REPORT" })).total).toBe(3); // name, any case
    expect((await b.searchJobs({ search: "user3@" })).jobs.map((j) => j.id)).toEqual([ids[3]!]); // args text
    expect((await b.searchJobs({ search: "needle" })).total).toBe(5);
    expect((await b.searchJobs({ search: ids[2]!.toUpperCase() })).jobs.map((j) => j.id)).toEqual([ids[2]!]); // the id
    expect((await b.searchJobs({ search: "%" })).total).toBe(0); // no wildcards
    expect((await b.searchJobs({ search: "'; DROP TABLE soniq_jobs; --" })).total).toBe(0);
    expect((await b.searchJobs({ jobName: "report.build", status: "queued" })).total).toBe(3);
    expect((await b.searchJobs({ status: "done" })).total).toBe(0);

    const newestFirst = (await b.searchJobs({ queue: "mail" })).jobs.map((j) => j.id);
    expect(newestFirst).toEqual([...ids].reverse());
  });

  test("searchJobs matches the last error", async () => {
    app = await contractApp(backend, { enqueueValidation: "none" });
    const flaky = app.job({ name: "t.flaky", retries: 2, retryDelay: 3600 }, async () => {
      throw new Error("Kaboom-XYZ happened");
    });
    const id = await app.enqueue(flaky, {});
    await app.enqueue("t.other", {});
    await app.runWorker({ runOnce: true, concurrency: 1 });
    const found = await app.backend.searchJobs({ search: "kaboom-xyz" });
    expect(found.jobs.map((j) => j.id)).toEqual([id]);
    expect(found.jobs[0]!.lastError).toContain("Kaboom-XYZ");
  });

  test("jobTimeline buckets created, done and dead-lettered jobs", async () => {
    app = await contractApp(backend, { enqueueValidation: "none" });
    const ok = app.job({ name: "t.ok" }, async () => "fine");
    const bad = app.job({ name: "t.bad", retries: 0 }, async () => {
      throw new Error("nope");
    });
    const since = new Date(Date.now() - 60_000);
    for (let i = 0; i < 3; i++) await app.enqueue(ok, {});
    await app.enqueue(bad, {});
    await app.runWorker({ runOnce: true, concurrency: 2 });

    const buckets = await app.backend.jobTimeline({ since, bucketSeconds: 10 });
    const sum = (k: "enqueued" | "completed" | "deadLettered") => buckets.reduce((n, b) => n + b[k], 0);
    expect(sum("enqueued")).toBe(4);
    expect(sum("completed")).toBe(3);
    expect(sum("deadLettered")).toBe(1);
    for (const b of buckets) {
      expect(b.start.getTime()).toBeGreaterThanOrEqual(since.getTime());
      expect((b.start.getTime() - since.getTime()) % 10_000).toBe(0);
    }
    expect([...buckets].sort((a, b) => a.start.getTime() - b.start.getTime())).toEqual(buckets);

    const later = await app.backend.jobTimeline({ since: new Date(Date.now() + 60_000), bucketSeconds: 60 });
    expect(later).toEqual([]);
  });
});

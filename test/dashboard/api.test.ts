/** The dashboard's JSON API against a real PostgreSQL database. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createDashboard, type Dashboard } from "../../src/dashboard/index.ts";
import type { Soniq } from "../../src/index.ts";
import { testApp } from "../helpers/db.ts";
import { call, deadLetters, failingJob } from "./helpers.ts";

let app: Soniq;
let dash: Dashboard;

beforeAll(async () => {
  app = await testApp({ enqueueValidation: "none", heartbeatTimeout: 1 });
  await app.setup();
  failingJob(app);
  dash = createDashboard(app, { writeEnabled: true, apiKey: null });
});

afterAll(async () => {
  await app.close();
});

beforeEach(async () => {
  await app.backend.reset();
});

describe("reads", () => {
  test("stats, queues and health", async () => {
    await app.enqueue("mail.send", { to: "a" }, { queue: "mail" });
    await app.enqueue("mail.send", { to: "b" }, { queue: "mail" });
    await app.enqueue("report.build", {});
    await deadLetters(app, 1);

    const stats = await call(dash, "/api/stats");
    expect(stats.status).toBe(200);
    expect(stats.body).toEqual({ total: 4, queued: 3, processing: 0, done: 0, cancelled: 0, dead_letter: 1 });

    const queues = await call(dash, "/api/queues");
    const byName = Object.fromEntries(queues.body.queues.map((q: any) => [q.queue, q]));
    expect(byName.mail.queued).toBe(2);
    expect(byName.mail.oldestQueuedAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(byName.default.queued).toBe(1);
    expect(byName.failing).toMatchObject({ queued: 0, deadLetter: 1, total: 1 });

    const health = await call(dash, "/api/health");
    expect(health.status).toBe(200);
    expect(health.body.status).toBe("degraded"); // every job finished in the last hour was dead-lettered
    expect(health.body.problems.join()).toContain("dead-lettered");
    expect(health.body.database).toMatchObject({ healthy: true, backend: "postgres" });
    expect(health.body.backlog).toBe(3);
    expect(health.body.deadLetter).toBe(1);
  });

  test("jobs: list, filter, search, paginate", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await app.enqueue("mail.send", { to: `person${i}@example.com` }, { queue: "mail" }));
    await app.enqueue("report.build", { month: "2024-05" });

    const all = await call(dash, "/api/jobs?limit=3");
    expect(all.body).toMatchObject({ total: 8, limit: 3, offset: 0, hasMore: true });
    expect(all.body.jobs).toHaveLength(3);

    const last = await call(dash, "/api/jobs?queue=mail&limit=3&offset=6");
    expect(last.body).toMatchObject({ total: 7, hasMore: false });
    expect(last.body.jobs.map((j: any) => j.id)).toEqual([ids[0]]);

    expect((await call(dash, "/api/jobs?job_name=report.build")).body.total).toBe(1);
    expect((await call(dash, "/api/jobs?status=queued")).body.total).toBe(8);
    expect((await call(dash, "/api/jobs?status=done")).body.total).toBe(0);
    const search = await call(dash, "/api/jobs?q=person4%40");
    expect(search.body.jobs.map((j: any) => j.id)).toEqual([ids[4]]);
    expect((await call(dash, "/api/jobs?q=2024-05")).body.total).toBe(1);

    expect((await call(dash, "/api/jobs?status=bogus")).status).toBe(400);
    expect((await call(dash, "/api/jobs?limit=abc")).status).toBe(400);
    expect((await call(dash, "/api/jobs?limit=100000")).status).toBe(400);
  });

  test("job detail: args, result, error, stack and attempts", async () => {
    const ok = app.job({ name: "t.ok" }, async ({ n }: { n: number }) => ({ doubled: n * 2 }));
    const flaky = app.job({ name: "t.flaky", retries: 3, retryDelay: 3600 }, async () => {
      throw new TypeError("kaboom");
    });
    const okId = await app.enqueue(ok, { n: 21 });
    const flakyId = await app.enqueue(flaky, {});
    await app.runWorker({ runOnce: true, concurrency: 2 });

    const done = await call(dash, `/api/jobs/${okId}`);
    expect(done.status).toBe(200);
    expect(done.body.kind).toBe("job");
    expect(done.body.job).toMatchObject({ id: okId, jobName: "t.ok", status: "done", args: { n: 21 }, result: { doubled: 42 }, attempts: 1 });

    const failed = await call(dash, `/api/jobs/${flakyId}`);
    expect(failed.body.job).toMatchObject({ status: "queued", attempts: 1, maxAttempts: 4, error: "TypeError: kaboom" });
    expect(failed.body.job.stack).toContain("at ");

    expect((await call(dash, "/api/jobs?q=kaboom")).body.jobs.map((j: any) => j.id)).toEqual([flakyId]);
    expect((await call(dash, `/api/jobs/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await call(dash, "/api/jobs/not-a-uuid")).status).toBe(404);
  });

  test("timeline: dense buckets with a failure rate", async () => {
    const ok = app.job({ name: "t.ok2" }, async () => null);
    for (let i = 0; i < 3; i++) await app.enqueue(ok, {});
    await app.runWorker({ runOnce: true, concurrency: 2, queues: ["default"] });
    await deadLetters(app, 1);
    const t = await call(dash, "/api/timeline?window=600&buckets=10");
    expect(t.status).toBe(200);
    expect(t.body.buckets).toHaveLength(10);
    expect(t.body.bucketSeconds).toBe(60);
    expect(t.body.totals).toEqual({ enqueued: 4, completed: 3, deadLettered: 1, failureRate: 0.25 });
    const busy = t.body.buckets.filter((b: any) => b.completed + b.deadLettered > 0);
    expect(busy.length).toBeGreaterThan(0);
    expect(t.body.buckets.every((b: any) => b.failureRate === null || (b.failureRate >= 0 && b.failureRate <= 1))).toBe(true);
    expect((await call(dash, "/api/timeline?buckets=0")).status).toBe(400);
  });

  test("unknown routes and methods", async () => {
    expect((await call(dash, "/api/nope")).status).toBe(404);
    expect((await call(dash, "/api/stats", { method: "POST" })).status).toBe(405);
    expect((await call(dash, "/nope")).status).toBe(404);
  });
});

describe("dead-letter queue", () => {
  test("list, filter, detail", async () => {
    const ids = await deadLetters(app, 3, (i) => ({ n: i, who: "alice" }));
    failingJob(app, "t.other");
    const [otherId] = await deadLetters(app, 1, () => ({}), "t.other");

    const list = await call(dash, "/api/dead-letter?limit=2");
    expect(list.body).toMatchObject({ total: 4, hasMore: true });
    expect(list.body.items).toHaveLength(2);
    expect((await call(dash, "/api/dead-letter?job_name=t.other")).body.items.map((d: any) => d.id)).toEqual([otherId]);
    expect((await call(dash, "/api/dead-letter?reason=max_retries_exceeded")).body.total).toBe(4);
    expect((await call(dash, "/api/dead-letter?reason=timeout")).body.total).toBe(0);
    expect((await call(dash, "/api/dead-letter/stats")).body.total).toBe(4);

    const detail = await call(dash, `/api/dead-letter/${ids[1]}`);
    expect(detail.body.deadLetter).toMatchObject({ id: ids[1], jobName: "t.fails", args: { n: 1, who: "alice" }, attempts: 1, reason: "max_retries_exceeded" });
    expect(detail.body.deadLetter.error).toBe("Max retries exceeded: Error: boom: it broke");
    expect(detail.body.deadLetter.stack).toContain("at ");
    expect((await call(dash, `/api/jobs/${ids[1]}`)).body.kind).toBe("dead_letter");
    expect((await call(dash, `/api/dead-letter/${crypto.randomUUID()}`)).status).toBe(404);
  });

  test("replay, delete and bulk replay", async () => {
    const ids = await deadLetters(app, 4);

    const replay = await call(dash, `/api/dead-letter/${ids[0]}/replay`, { method: "POST" });
    expect(replay.status).toBe(200);
    const job = await app.getJob(replay.body.jobId);
    expect(job).toMatchObject({ jobName: "t.fails", status: "queued", args: { n: 0 } });
    expect((await app.deadLetter.get(ids[0]!))!.resurrectionCount).toBe(1);

    const del = await call(dash, `/api/dead-letter/${ids[1]}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    expect(await app.deadLetter.get(ids[1]!)).toBeNull();
    expect((await call(dash, `/api/dead-letter/${ids[1]}`, { method: "DELETE" })).status).toBe(404);
    expect((await call(dash, `/api/dead-letter/${ids[1]}/replay`, { method: "POST" })).status).toBe(404);

    const bulk = await call(dash, "/api/dead-letter/replay", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ids: [ids[2], ids[3], crypto.randomUUID()] }),
    });
    expect(bulk.body).toMatchObject({ requested: 3, replayed: 2 });
    for (const id of bulk.body.jobIds) expect((await app.getJob(id))!.status).toBe("queued");

    const byFilter = await call(dash, "/api/dead-letter/replay", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ filter: { jobName: "t.fails" } }),
    });
    expect(byFilter.body).toMatchObject({ requested: 3, replayed: 3 });

    const bad = await call(dash, "/api/dead-letter/replay", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ids: "x" }) });
    expect(bad.status).toBe(400);
    const notJson = await call(dash, "/api/dead-letter/replay", { method: "POST", headers: { "content-type": "text/plain" }, body: "ids=1" });
    expect(notJson.status).toBe(415);
  });

  test("cancel and delete a job", async () => {
    const id = await app.enqueue("t.later", {});
    expect((await call(dash, `/api/jobs/${id}/cancel`, { method: "POST" })).status).toBe(200);
    expect((await app.getJob(id))!.status).toBe("cancelled");
    expect((await call(dash, `/api/jobs/${id}/cancel`, { method: "POST" })).status).toBe(409);
    expect((await call(dash, `/api/jobs/${id}`, { method: "DELETE" })).status).toBe(200);
    expect(await app.getJob(id)).toBeNull();
  });
});

describe("workers and schedules", () => {
  test("workers: live, stale, concurrency, heartbeat age", async () => {
    const base = { hostname: "host-a", queues: ["mail"], concurrency: 8, version: "test", metadata: { running: 3 } };
    const oldId = (await app.backend.registerWorker({ ...base, id: crypto.randomUUID(), pid: 1001 }, 0))!;
    await Bun.sleep(1200); // heartbeatTimeout is 1 s in this app
    const freshId = (await app.backend.registerWorker({ ...base, id: crypto.randomUUID(), pid: 1002 }, 0))!;
    const stoppedId = (await app.backend.registerWorker({ ...base, id: crypto.randomUUID(), pid: 1003 }, 0))!;
    await app.backend.markWorkerStopped(stoppedId);

    const res = await call(dash, "/api/workers");
    expect(res.body.heartbeatTimeout).toBe(1);
    const byId = Object.fromEntries(res.body.workers.map((w: any) => [w.id, w]));
    expect(byId[stoppedId]).toBeUndefined();
    expect(byId[freshId]).toMatchObject({ state: "active", stale: false, concurrency: 8, running: 3, queues: ["mail"] });
    expect(byId[oldId]).toMatchObject({ state: "stale", stale: true });
    expect(byId[oldId].heartbeatAgeSeconds).toBeGreaterThan(1);
    expect(res.body.summary).toMatchObject({ active: 1, stale: 1, stopped: 1, concurrency: 8 });
    const all = await call(dash, "/api/workers?all=true");
    expect(all.body.workers.map((w: any) => w.id)).toContain(stoppedId);
  });

  test("schedules: list, pause, resume, trigger", async () => {
    const nextRun = new Date(Date.now() + 3_600_000);
    await app.backend.upsertSchedule({
      name: "reports.nightly",
      scheduleType: "cron",
      scheduleValue: "0 3 * * *",
      priority: 7,
      queue: "reports",
      maxAttempts: 2,
      args: { format: "pdf" },
      nextRun,
    });
    const list = await call(dash, "/api/schedules");
    expect(list.body.schedules).toHaveLength(1);
    expect(list.body.schedules[0]).toMatchObject({ name: "reports.nightly", status: "active", scheduleType: "cron", queue: "reports" });

    expect((await call(dash, "/api/schedules/reports.nightly/pause", { method: "POST" })).status).toBe(200);
    expect((await app.backend.getSchedule("reports.nightly"))!.status).toBe("paused");
    expect((await call(dash, "/api/schedules?status=paused")).body.schedules).toHaveLength(1);
    expect((await call(dash, "/api/schedules/reports.nightly/resume", { method: "POST" })).status).toBe(200);
    expect((await app.backend.getSchedule("reports.nightly"))!.status).toBe("active");

    const trigger = await call(dash, "/api/schedules/reports.nightly/trigger", { method: "POST" });
    expect(trigger.status).toBe(200);
    const job = await app.getJob(trigger.body.jobId);
    expect(job).toMatchObject({ jobName: "reports.nightly", args: { format: "pdf" }, queue: "reports", priority: 7, maxAttempts: 2, status: "queued" });
    const after = await app.backend.getSchedule("reports.nightly");
    expect(after!.nextRun!.getTime()).toBe(nextRun.getTime()); // trigger leaves the schedule alone

    expect((await call(dash, "/api/schedules/nope/pause", { method: "POST" })).status).toBe(404);
    expect((await call(dash, "/api/schedules/nope/trigger", { method: "POST" })).status).toBe(404);
  });
});

describe("mounting and metrics", () => {
  test("under a base path", async () => {
    const mounted = createDashboard(app, { basePath: "/admin/queue/", apiKey: null });
    expect(mounted.basePath).toBe("/admin/queue");
    expect((await call(mounted, "/admin/queue/api/stats")).status).toBe(200);
    expect((await call(mounted, "/api/stats")).status).toBe(404);
    const page = await call(mounted, "/admin/queue/");
    expect(page.status).toBe(200);
    expect(page.body).toContain('src="/admin/queue/assets/app.js');
    expect(page.body).toContain('data-base="/admin/queue"');
    expect((await call(mounted, "/admin/queue")).status).toBe(200);
    expect((await call(mounted, "/admin/queue/assets/app.css")).status).toBe(200);
    expect(() => createDashboard(app, { basePath: '/x"><script>' })).toThrow();
  });

  test("/metrics: queue depth, oldest age, dead letters", async () => {
    await app.enqueue("mail.send", {}, { queue: "mail" });
    await deadLetters(app, 2);
    const res = await call(dash, "/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    expect(res.body).toContain('soniq_queue_depth{queue="mail"} 1');
    expect(res.body).toMatch(/soniq_queue_oldest_job_age_seconds\{queue="mail"\} \d/);
    expect(res.body).toContain("soniq_dead_letter_jobs 2");
    expect(res.body).toContain("soniq_up 1");
  });
});

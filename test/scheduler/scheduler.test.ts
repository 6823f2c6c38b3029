/**
 * The scheduler against every backend: managing schedules (`app.scheduler`), `app.periodic`,
 * and the loop (`app.runScheduler`) firing through `backend.fireSchedule`.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ErrorCodes, Soniq, taskRef, Type, type SoniqOptions } from "../../src/index.ts";
import { parseCron } from "../../src/scheduler/cron.ts";
import { BACKENDS, type BackendCase } from "../contract/backends.ts";

/** Per-test timeout: several tests wait on real seconds-long schedules. */
const LONG = 20_000;
const opened: Soniq[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((a) => a.close().catch(() => {})));
});

function open(url: string, options: SoniqOptions = {}): Soniq {
  const app = new Soniq({ databaseUrl: url, pollInterval: 0.05, heartbeatInterval: 0.2, errorRetryDelay: 0.05, logLevel: "error", ...options });
  opened.push(app);
  return app;
}

async function fresh(backend: BackendCase, options: SoniqOptions = {}): Promise<{ app: Soniq; url: string }> {
  const url = await backend.url();
  const app = open(url, options);
  await app.setup();
  return { app, url };
}

/** A second app on the same store (another process, as far as the store can tell); memory has only one. */
function peer(backend: BackendCase, app: Soniq, url: string, options: SoniqOptions = {}): Soniq {
  return backend.name === "memory" ? app : open(url, options);
}

/** Run the scheduler loop for `ms`, then stop it. */
async function runFor(app: Soniq, ms: number, checkInterval = 0.1) {
  return app.runScheduler({ checkInterval, signal: AbortSignal.timeout(ms), handleSignals: false });
}

async function jobsOf(app: Soniq, jobName: string) {
  return (await app.listJobs({ jobName, limit: 1000 })).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

function expectCode(promiseOrFn: Promise<unknown> | (() => unknown), code: string) {
  if (typeof promiseOrFn === "function") return expect(promiseOrFn).toThrow(expect.objectContaining({ code }));
  return expect(promiseOrFn).rejects.toMatchObject({ code });
}

const near = (a: Date | null, b: number, tolerance = 2000) => {
  expect(a).not.toBeNull();
  expect(Math.abs(a!.getTime() - b)).toBeLessThan(tolerance);
};

describe.each(BACKENDS)("scheduler on $name", (backend) => {
  test("add / get / list / pause / resume / remove", async () => {
    const { app } = await fresh(backend);
    const before = Date.now();
    expect(await app.scheduler.add({ name: "reports.daily", cron: "0 9 * * *", args: { region: "us" } })).toBe("reports.daily");
    expect(await app.scheduler.add({ target: "metrics.flush", every: 30 })).toBe("metrics.flush");

    const daily = (await app.scheduler.get("reports.daily"))!;
    expect(daily).toMatchObject({
      name: "reports.daily",
      scheduleType: "cron",
      scheduleValue: "0 9 * * *",
      status: "active",
      args: { region: "us" },
      priority: 100,
      queue: "default",
      maxAttempts: 3,
      runCount: 0,
      lastRun: null,
      lastJobId: null,
    });
    expect(daily.nextRun!.getTime()).toBe(parseCron("0 9 * * *").next(new Date(before)).getTime());
    const flush = (await app.scheduler.get("metrics.flush"))!;
    expect(flush).toMatchObject({ scheduleType: "interval", scheduleValue: "30" });
    near(flush.nextRun, before + 30_000); // first run one interval after creation, not now

    expect((await app.scheduler.list()).map((s) => s.name)).toEqual(["metrics.flush", "reports.daily"]);
    expect(await app.scheduler.pause("reports.daily")).toBe(true);
    expect((await app.scheduler.list({ status: "paused" })).map((s) => s.name)).toEqual(["reports.daily"]);
    expect((await app.scheduler.list({ status: "active" })).map((s) => s.name)).toEqual(["metrics.flush"]);
    expect(await app.scheduler.resume("reports.daily")).toBe(true);
    expect((await app.scheduler.get("reports.daily"))!.status).toBe("active");

    expect(await app.scheduler.remove("reports.daily")).toBe(true);
    expect(await app.scheduler.get("reports.daily")).toBeNull();
    expect(await app.scheduler.remove("reports.daily")).toBe(false);
    expect(await app.scheduler.pause("nope")).toBe(false);
    expect(await app.scheduler.resume("nope")).toBe(false);
    expect((await app.scheduler.list()).map((s) => s.name)).toEqual(["metrics.flush"]);
  }, LONG);

  test("defaults come from the registered job, a taskRef, or 100/default/3; explicit options win", async () => {
    const { app } = await fresh(backend);
    const job = app.job({ name: "billing.charge", queue: "billing", priority: 7, retries: 5 }, async () => {});
    await app.scheduler.add({ target: job, every: 60 });
    expect(await app.scheduler.get("billing.charge")).toMatchObject({ queue: "billing", priority: 7, maxAttempts: 6 });
    await app.scheduler.add({ name: "billing.charge", every: 60, queue: "urgent", priority: 1, maxAttempts: 2 });
    expect(await app.scheduler.get("billing.charge")).toMatchObject({ queue: "urgent", priority: 1, maxAttempts: 2 });

    await app.scheduler.add({ target: "other.service_job", every: 60 });
    expect(await app.scheduler.get("other.service_job")).toMatchObject({ queue: "default", priority: 100, maxAttempts: 3 });

    const ref = taskRef("remote.sync", Type.Object({ id: Type.Integer() }), { defaultQueue: "remote" });
    await app.scheduler.add({ target: ref, every: 60, args: { id: 1 } });
    expect(await app.scheduler.get("remote.sync")).toMatchObject({ queue: "remote", args: { id: 1 } });
  }, LONG);

  test("names, schedules, args and options are checked before anything is written", async () => {
    const { app } = await fresh(backend);
    app.job({ name: "typed.job", validate: Type.Object({ n: Type.Integer() }) }, async () => {});
    await expectCode(app.scheduler.add({ name: "Bad Name", every: 5 }), ErrorCodes.INVALID_TASK_NAME);
    await expectCode(app.scheduler.add({ target: "has space", every: 5 }), ErrorCodes.INVALID_TASK_NAME);
    await expectCode(app.scheduler.add({ target: "a.b", name: "c.d", every: 5 }), ErrorCodes.INVALID_ARGUMENT);
    await expectCode(app.scheduler.add({ every: 5 }), ErrorCodes.INVALID_ARGUMENT);
    await expectCode(app.scheduler.add({ name: "a.b" }), ErrorCodes.INVALID_SCHEDULE);
    await expectCode(app.scheduler.add({ name: "a.b", every: 5, cron: "* * * * *" }), ErrorCodes.INVALID_SCHEDULE);
    await expectCode(app.scheduler.add({ name: "a.b", cron: "* * *" }), ErrorCodes.INVALID_SCHEDULE);
    await expectCode(app.scheduler.add({ name: "a.b", every: 0 }), ErrorCodes.INVALID_SCHEDULE);
    await expectCode(app.scheduler.add({ name: "a.b", every: 5, priority: 0 }), ErrorCodes.INVALID_ARGUMENT);
    await expectCode(app.scheduler.add({ name: "a.b", every: 5, maxAttempts: 0 }), ErrorCodes.INVALID_ARGUMENT);
    await expectCode(app.scheduler.add({ name: "a.b", every: 5, queue: "" }), ErrorCodes.INVALID_ARGUMENT);
    await expectCode(app.scheduler.add({ name: "a.b", every: 5, bogus: true } as never), ErrorCodes.INVALID_ARGUMENT);
    await expectCode(app.scheduler.add({ name: "a.b", every: 5, args: [] as never }), ErrorCodes.INVALID_ARGUMENT);
    await expectCode(app.scheduler.add({ name: "a.b", every: 5, args: { big: 10n } as never }), ErrorCodes.NOT_SERIALIZABLE);
    await expectCode(app.scheduler.add({ name: "typed.job", every: 5, args: { n: "x" } }), ErrorCodes.VALIDATION_FAILED);
    await expectCode(app.scheduler.list({ status: "nope" as never }), ErrorCodes.INVALID_ARGUMENT);
    expect(await app.scheduler.list()).toEqual([]);
  }, LONG);

  test("re-adding a name updates it in place", async () => {
    const { app } = await fresh(backend);
    await app.scheduler.add({ name: "sync.accounts", every: 3600, args: { v: 1 } });
    const first = (await app.scheduler.get("sync.accounts"))!;
    await app.scheduler.pause("sync.accounts");
    await Bun.sleep(20);

    // Same schedule: the pending next_run, status and history stay; the rest follows the new call.
    await app.scheduler.add({ name: "sync.accounts", every: 3600, args: { v: 2 }, queue: "sync", priority: 3 });
    const same = (await app.scheduler.get("sync.accounts"))!;
    expect(same).toMatchObject({ id: first.id, args: { v: 2 }, queue: "sync", priority: 3, status: "paused", runCount: 0 });
    expect(same.nextRun!.getTime()).toBe(first.nextRun!.getTime());

    // A different schedule starts over from now.
    const t = Date.now();
    await app.scheduler.add({ name: "sync.accounts", every: 60 });
    const changed = (await app.scheduler.get("sync.accounts"))!;
    expect(changed).toMatchObject({ id: first.id, scheduleValue: "60" });
    near(changed.nextRun, t + 60_000);
    await app.scheduler.add({ name: "sync.accounts", cron: "*/5 * * * *", timezone: "Europe/Paris" });
    expect((await app.scheduler.get("sync.accounts"))!).toMatchObject({ id: first.id, scheduleType: "cron", scheduleValue: "CRON_TZ=Europe/Paris */5 * * * *" });
    expect((await app.scheduler.list()).length).toBe(1);
  }, LONG);

  test("an every: 1 periodic job fires about once a second and records each run", async () => {
    const { app } = await fresh(backend);
    app.periodic({ name: "heartbeat.ping", every: 1, args: { from: "test" }, queue: "beats", priority: 9, retries: 2 }, async () => {});
    // Run until three runs exist (however long a loaded machine takes), not for a guessed time.
    const stop = new AbortController();
    const started = Date.now();
    const loop = app.runScheduler({ checkInterval: 0.1, signal: stop.signal, handleSignals: false });
    await waitUntil(async () => (await jobsOf(app, "heartbeat.ping")).length >= 3, 15_000).finally(() => stop.abort());
    const summary = await loop;
    const elapsed = Date.now() - started;
    const jobs = await jobsOf(app, "heartbeat.ping");
    expect(jobs.length).toBeGreaterThanOrEqual(3);
    // Never more often than once a second: the first run is 1 s after start, then gaps > 0.9 s.
    expect(jobs.length).toBeLessThanOrEqual(Math.floor(elapsed / 900) + 1);
    expect(summary.fired).toBe(jobs.length);
    const schedule = (await app.scheduler.get("heartbeat.ping"))!;
    expect(schedule.runCount).toBe(jobs.length);
    expect(schedule.lastJobId).toBe(jobs.at(-1)!.id);
    near(schedule.lastRun, jobs.at(-1)!.createdAt.getTime(), 500);
    expect(schedule.nextRun!.getTime()).toBeGreaterThan(schedule.lastRun!.getTime());
    for (const job of jobs) {
      expect(job).toMatchObject({ jobName: "heartbeat.ping", args: { from: "test" }, queue: "beats", priority: 9, maxAttempts: 3, status: "queued" });
    }
    for (let i = 1; i < jobs.length; i++) {
      const gap = jobs[i]!.createdAt.getTime() - jobs[i - 1]!.createdAt.getTime();
      expect(gap).toBeGreaterThan(900); // not early; how late a loaded machine fires is not a correctness question
    }
  }, LONG);

  test("missed runs fire once, then the next run is computed from now", async () => {
    const { app } = await fresh(backend);
    app.job({ name: "catch.up" }, async () => {});
    await app.scheduler.add({ name: "catch.up", every: 1, args: { x: 1 } });
    await Bun.sleep(2100); // two runs missed while no scheduler was running
    const t = Date.now();
    expect((await app.scheduler.tick()).fired).toBe(1);
    expect((await app.scheduler.tick()).fired).toBe(0);
    expect((await jobsOf(app, "catch.up")).length).toBe(1);
    const s = (await app.scheduler.get("catch.up"))!;
    expect(s.runCount).toBe(1);
    near(s.nextRun, t + 1000, 500);
  }, LONG);

  test("pause, resume, add and remove by another instance are honoured at the next check", async () => {
    // enqueueValidation "none": the scheduler enqueues by name, as a process without the job code would.
    const { app, url } = await fresh(backend, { enqueueValidation: "none" });
    const other = peer(backend, app, url);
    await other.scheduler.add({ name: "pulse.one", every: 1 });
    const loop = app.runScheduler({ checkInterval: 0.1, handleSignals: false });
    try {
      const count = async () => (await jobsOf(app, "pulse.one")).length;
      await waitUntil(async () => (await count()) >= 1, 3000);

      expect(await other.scheduler.pause("pulse.one")).toBe(true);
      await Bun.sleep(150); // the next check
      const paused = await count();
      await Bun.sleep(1500);
      expect(await count()).toBe(paused);

      expect(await other.scheduler.resume("pulse.one")).toBe(true);
      // The run missed while paused fires once at the next check.
      await waitUntil(async () => (await count()) === paused + 1, 1000);

      // A schedule added elsewhere is picked up without a restart; a removed one stops.
      await other.scheduler.add({ name: "pulse.two", every: 1 });
      await waitUntil(async () => (await jobsOf(app, "pulse.two")).length >= 1, 2500);
      expect(await other.scheduler.remove("pulse.one")).toBe(true);
      await Bun.sleep(150);
      const removed = await count();
      await Bun.sleep(1200);
      expect(await count()).toBe(removed);
    } finally {
      await app.scheduler.stop();
      await loop;
    }
  }, LONG);

  test("restarting the scheduler does not push a long interval back", async () => {
    const { app, url } = await fresh(backend);
    app.periodic({ name: "nightly.rollup", every: 3600 }, async () => {});
    await runFor(app, 200);
    const first = (await app.scheduler.get("nightly.rollup"))!;
    near(first.nextRun, Date.now() + 3_600_000);

    await Bun.sleep(300);
    const restarted = backend.name === "memory" ? app : open(url);
    if (restarted !== app) restarted.periodic({ name: "nightly.rollup", every: 3600 }, async () => {});
    await runFor(restarted, 200);
    const again = (await restarted.scheduler.get("nightly.rollup"))!;
    expect(again.nextRun!.getTime()).toBe(first.nextRun!.getTime());
    expect(again.id).toBe(first.id);

    // Changing the interval in code starts it over.
    const changed = backend.name === "memory" ? app : open(url);
    changed.periodic({ name: "nightly.rollup", every: 7200 }, async () => {});
    const t = Date.now();
    await runFor(changed, 200);
    near((await changed.scheduler.get("nightly.rollup"))!.nextRun, t + 7_200_000);
  }, LONG);

  test("a paused periodic schedule stays paused across restarts", async () => {
    const { app } = await fresh(backend);
    app.periodic({ name: "quiet.job", every: 1 }, async () => {});
    await runFor(app, 150);
    await app.scheduler.pause("quiet.job");
    await runFor(app, 1200);
    expect((await app.scheduler.get("quiet.job"))!.status).toBe("paused");
    expect((await jobsOf(app, "quiet.job")).length).toBe(0);
  }, LONG);

  test("trigger enqueues now with the schedule's args, queue, priority and attempts; next_run unchanged", async () => {
    const { app } = await fresh(backend, { enqueueValidation: "none" });
    await app.scheduler.add({ name: "report.send", every: 3600, args: { to: "ops" }, queue: "mail", priority: 4, maxAttempts: 7 });
    const before = (await app.scheduler.get("report.send"))!;
    const id = await app.scheduler.trigger("report.send");
    expect(await app.getJob(id)).toMatchObject({ jobName: "report.send", args: { to: "ops" }, queue: "mail", priority: 4, maxAttempts: 7, status: "queued" });
    const after = (await app.scheduler.get("report.send"))!;
    expect(after.nextRun!.getTime()).toBe(before.nextRun!.getTime());
    expect(after.runCount).toBe(0);
    await expectCode(app.scheduler.trigger("no.such"), ErrorCodes.NOT_FOUND);
  }, LONG);

  test("fired jobs use the schedule's maxAttempts; a failing schedule does not block the others", async () => {
    const lines: string[] = [];
    // strict enqueueValidation: unregistered names cannot be enqueued here
    const { app } = await fresh(backend, { logSink: (line) => lines.push(line) });
    app.job({ name: "known.job" }, async () => {});
    await app.scheduler.add({ name: "known.job", every: 1, maxAttempts: 9 });
    await app.scheduler.add({ name: "unknown.job", every: 1 });
    await Bun.sleep(1100);
    const tick = await app.scheduler.tick();
    expect(tick).toMatchObject({ leader: true, fired: 1 });
    expect((await jobsOf(app, "known.job"))[0]!.maxAttempts).toBe(9);
    expect(await jobsOf(app, "unknown.job")).toEqual([]);
    expect((await app.scheduler.get("unknown.job"))!.runCount).toBe(0);
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "schedule could not fire");
    expect(logged).toEqual([expect.objectContaining({ schedule: "unknown.job", code: ErrorCodes.UNKNOWN_TASK_NAME })]);
    await Bun.sleep(1100);
    await app.scheduler.tick();
    expect(lines.filter((l) => l.includes("schedule could not fire")).length).toBe(1); // once an hour, not every tick

    // A producer-only scheduler (enqueueValidation none) enqueues it by name.
    const lax = (await fresh(backend, { enqueueValidation: "none" })).app;
    await lax.scheduler.add({ name: "unknown.job", every: 1 });
    await Bun.sleep(1100);
    expect((await lax.scheduler.tick()).fired).toBe(1);
    expect((await jobsOf(lax, "unknown.job"))[0]!.maxAttempts).toBe(3);
  }, LONG);

  test("a unique periodic job is held back while its previous run is still queued", async () => {
    const { app } = await fresh(backend);
    app.periodic({ name: "dedupe.me", every: 1, unique: true }, async () => {});
    await runFor(app, 2300);
    expect((await jobsOf(app, "dedupe.me")).length).toBe(1);
    expect((await app.scheduler.get("dedupe.me"))!.runCount).toBe(1);
    await app.runWorker({ runOnce: true });
    expect((await app.scheduler.tick()).fired).toBe(1); // due since the held-back tick: fires once
  }, LONG);

  test("runScheduler refuses a second loop and bad intervals; stop() ends it", async () => {
    const { app } = await fresh(backend);
    await expectCode(app.runScheduler({ checkInterval: 0 }), ErrorCodes.INVALID_ARGUMENT);
    await expectCode(app.runScheduler({ checkInterval: Number.NaN }), ErrorCodes.INVALID_ARGUMENT);
    const loop = app.runScheduler({ checkInterval: 30, handleSignals: false });
    expect(app.scheduler.running).toBe(true);
    await expectCode(app.runScheduler({ checkInterval: 1, handleSignals: false }), ErrorCodes.WORKER_RUNNING);
    const t = Date.now();
    await app.scheduler.stop();
    const summary = await loop;
    expect(Date.now() - t).toBeLessThan(10_000); // far under the 30 s check interval: stop() cut the wait short
    expect(summary.ticks).toBeGreaterThanOrEqual(1);
    expect(app.scheduler.running).toBe(false);
  }, LONG);

  test("app.close() ends a running scheduler loop", async () => {
    const { app } = await fresh(backend);
    app.periodic({ name: "close.me", every: 3600 }, async () => {});
    const loop = app.runScheduler({ checkInterval: 30, handleSignals: false });
    await Bun.sleep(100);
    const t = Date.now();
    await app.close();
    await loop;
    expect(Date.now() - t).toBeLessThan(10_000); // far under the 30 s check interval: close() cut the wait short
  }, LONG);
});

async function waitUntil(fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await Bun.sleep(25);
  }
}

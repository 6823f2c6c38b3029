/**
 * Conformance with the Python Soniq spec (issue 15), through the public API on every backend:
 * derived task names, whole-match name patterns, Python log levels, the settings the seeds name
 * (SONIQ_WORKER_CONCURRENCY, snoozeMaxSeconds, SONIQ_SCHEDULER_SUPPRESS_WARNING, routeMap,
 * backend strings), the task registry, JobStatus, Dates in args and Python-equal args hashes.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { computeArgsHash, ErrorCodes, JobStatus, resolveSettings, Soniq, taskRef, type SoniqOptions } from "../../src/index.ts";
import { BACKENDS, contractApp, type BackendCase } from "../contract/backends.ts";
import { freshDatabase } from "../helpers/db.ts";

const LIBRARY = resolve(import.meta.dir, "../../src/index.ts");
const opened: Soniq[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((a) => a.close().catch(() => {})));
});
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function appOn(backend: BackendCase, options: SoniqOptions = {}): Promise<Soniq> {
  const app = await contractApp(backend, options);
  opened.push(app);
  return app;
}

function track(app: Soniq): Soniq {
  opened.push(app);
  return app;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "soniq-spec-"));
  dirs.push(dir);
  return dir;
}

/** Write a module that registers jobs on a fresh app (exported as `app`); return its path. */
function jobModule(dir: string, file: string, body: string): string {
  const path = join(dir, file);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, `import { Soniq } from ${JSON.stringify(LIBRARY)};\nexport const app = new Soniq({ databaseUrl: process.env.SPEC_URL ?? "memory:", logLevel: "error" });\n${body}\n`);
  return path;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe("derived task names are snake_case and always satisfy the pattern", () => {
  test("function and module names become snake_case", async () => {
    const dir = tempDir();
    const plain = await import(jobModule(dir, "jobs.ts", "export const h = app.job(async function sendWelcome() {});"));
    expect(plain.h.name).toBe("jobs.send_welcome");
    const camelFile = await import(jobModule(dir, "emailJobs.ts", "export const h = app.job(async function sendHTTPRequest() {});"));
    expect(camelFile.h.name).toBe("email_jobs.send_http_request");
    const index = await import(jobModule(dir, "billingJobs/index.ts", "export const h = app.job(async function sendInvoice() {});"));
    expect(index.h.name).toBe("billing_jobs.send_invoice");
    const dashed = await import(jobModule(dir, "user-mail.jobs.ts", "export const h = app.job(async function welcome_v2() {});"));
    expect(dashed.h.name).toBe("user_mail.jobs.welcome_v2");
    // The test file itself: core name segments keep their dots.
    const here = track(new Soniq({ backend: "memory" }));
    expect(here.job(async function flushMetrics() {}).name).toBe("spec.test.flush_metrics");
  });

  test("a derived name that cannot match the pattern is refused at registration", async () => {
    const dir = tempDir();
    await expect(import(jobModule(dir, "2fa.ts", "export const h = app.job(async function verify() {});"))).rejects.toMatchObject({
      code: ErrorCodes.INVALID_TASK_NAME,
    });
    const strict = track(new Soniq({ backend: "memory", taskNamePattern: "[a-z]+" }));
    expect(codeOf(() => strict.job(async function sendWelcome() {}))).toBe(ErrorCodes.INVALID_TASK_NAME);
    expect(strict.jobNames).toEqual([]);
  });

  describe.each(BACKENDS)("on $name", (backend) => {
    test("a job with a derived name is enqueued by name and run", async () => {
      const app = await appOn(backend);
      const handle = app.job(async function addNumbers({ a, b }: { a: number; b: number }) {
        return a + b;
      });
      expect(handle.name).toBe("spec.test.add_numbers");
      const byHandle = await app.enqueue(handle, { a: 1, b: 2 });
      const byName = await app.enqueue(handle.name, { a: 3, b: 4 });
      await app.runWorker({ runOnce: true });
      expect(await app.getResult(byHandle)).toBe(3);
      expect(await app.getResult(byName)).toBe(7);
    });
  });

  test("app.periodic({ every: 30 }, flushMetrics) fires through the scheduler on PostgreSQL", async () => {
    const url = await freshDatabase();
    const app = track(new Soniq({ databaseUrl: url, logLevel: "error", pollInterval: 0.05 }));
    let flushed = 0;
    const handle = app.periodic({ every: 30 }, async function flushMetrics() {
      flushed++;
      return "flushed";
    });
    expect(handle.name).toBe("spec.test.flush_metrics");
    await app.scheduler.syncPeriodic();
    // The first run is 30 s away: make it due now instead of waiting.
    await app.sql`UPDATE soniq_recurring_jobs SET next_run = now() - interval '1 second' WHERE job_name = ${handle.name}`;
    await app.runScheduler({ checkInterval: 0.1, signal: AbortSignal.timeout(1500), handleSignals: false });
    const jobs = await app.listJobs({ jobName: handle.name });
    expect(jobs.length).toBe(1);
    await app.runWorker({ runOnce: true });
    expect(await app.getResult(jobs[0]!.id)).toBe("flushed");
    expect(flushed).toBe(1);
    const schedule = await app.scheduler.get(handle.name);
    expect(schedule?.runCount).toBe(1);
  }, 20_000);
});

describe("a custom task-name pattern is matched whole (Python's re.fullmatch)", () => {
  test("[a-z]+ rejects names it only partly matches, everywhere names are checked", async () => {
    const app = track(new Soniq({ backend: "memory", taskNamePattern: "[a-z]+", enqueueValidation: "none" }));
    for (const bad of ["Bad Name!x", "abc1", "abc\n", "a.b"]) {
      expect(codeOf(() => app.job({ name: bad }, async () => {}))).toBe(ErrorCodes.INVALID_TASK_NAME);
      await expect(app.enqueue(bad, {})).rejects.toMatchObject({ code: ErrorCodes.INVALID_TASK_NAME });
      await expect(app.scheduler.add({ name: bad, every: 60 })).rejects.toMatchObject({ code: ErrorCodes.INVALID_TASK_NAME });
      expect(codeOf(() => taskRef(bad, undefined, { pattern: "[a-z]+" }))).toBe(ErrorCodes.INVALID_TASK_NAME);
    }
    expect(app.job({ name: "abc" }, async () => {}).name).toBe("abc");
    expect(typeof (await app.enqueue("xyz", {}))).toBe("string");
  });

  test("SONIQ_TASK_NAME_PATTERN from the environment too", () => {
    const settings = resolveSettings({}, { SONIQ_TASK_NAME_PATTERN: "[a-z]+" });
    const app = track(new Soniq({ backend: "memory", taskNamePattern: settings.taskNamePattern }));
    expect(codeOf(() => app.job({ name: "Bad Name!x" }, async () => {}))).toBe(ErrorCodes.INVALID_TASK_NAME);
    const previous = process.env.SONIQ_TASK_NAME_PATTERN;
    process.env.SONIQ_TASK_NAME_PATTERN = "[a-z]+";
    try {
      expect(codeOf(() => taskRef("Bad Name!x"))).toBe(ErrorCodes.INVALID_TASK_NAME);
      expect(taskRef("abc").name).toBe("abc");
    } finally {
      if (previous === undefined) delete process.env.SONIQ_TASK_NAME_PATTERN;
      else process.env.SONIQ_TASK_NAME_PATTERN = previous;
    }
  });

  test("the default pattern still accepts dotted lowercase names", () => {
    const app = track(new Soniq({ backend: "memory" }));
    expect(app.job({ name: "billing.invoices.send_v2" }, async () => {}).name).toBe("billing.invoices.send_v2");
    for (const bad of ["Bad", "bad name", ".x", "x.", "1x", "a-b", "a.b\n"]) {
      expect(codeOf(() => app.job({ name: bad }, async () => {}))).toBe(ErrorCodes.INVALID_TASK_NAME);
    }
  });
});

describe("log levels: Python's names in any case", () => {
  test.each([
    ["DEBUG", "debug"],
    ["INFO", "info"],
    ["WARNING", "warn"],
    ["warning", "warn"],
    ["Warn", "warn"],
    ["ERROR", "error"],
    ["CRITICAL", "error"],
    ["critical", "error"],
    ["silent", "silent"],
  ])("%s -> %s, as an option and from SONIQ_LOG_LEVEL", (given, expected) => {
    expect(resolveSettings({ logLevel: given }, {}).logLevel).toBe(expected as never);
    expect(resolveSettings({}, { SONIQ_LOG_LEVEL: given }).logLevel).toBe(expected as never);
  });

  test("new Soniq() with SONIQ_LOG_LEVEL=WARNING logs warnings, not info", () => {
    const previous = process.env.SONIQ_LOG_LEVEL;
    process.env.SONIQ_LOG_LEVEL = "WARNING";
    try {
      const lines: string[] = [];
      const app = track(new Soniq({ backend: "memory", logSink: (line) => lines.push(line) }));
      expect(app.settings.logLevel).toBe("warn");
      app.logger.info("hidden");
      app.logger.warn("shown");
      expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["shown"]);
    } finally {
      if (previous === undefined) delete process.env.SONIQ_LOG_LEVEL;
      else process.env.SONIQ_LOG_LEVEL = previous;
    }
  });

  test("a name that is no level is refused", () => {
    expect(() => resolveSettings({}, { SONIQ_LOG_LEVEL: "loud" })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_SETTING }));
  });
});

describe("settings named by the seeds", () => {
  test("SONIQ_WORKER_CONCURRENCY is SONIQ_CONCURRENCY's other name; they must agree; options win", () => {
    expect(resolveSettings({}, { SONIQ_WORKER_CONCURRENCY: "7" }).concurrency).toBe(7);
    expect(resolveSettings({}, { SONIQ_CONCURRENCY: "6" }).concurrency).toBe(6);
    expect(resolveSettings({}, { SONIQ_CONCURRENCY: "6", SONIQ_WORKER_CONCURRENCY: "6" }).concurrency).toBe(6);
    expect(resolveSettings({ concurrency: 2 }, { SONIQ_CONCURRENCY: "6", SONIQ_WORKER_CONCURRENCY: "7" }).concurrency).toBe(2);
    expect(() => resolveSettings({}, { SONIQ_CONCURRENCY: "6", SONIQ_WORKER_CONCURRENCY: "7" })).toThrow(/SONIQ_WORKER_CONCURRENCY/);
    expect(() => resolveSettings({}, { SONIQ_WORKER_CONCURRENCY: "abc" })).toThrow(/SONIQ_WORKER_CONCURRENCY/);
    expect(() => resolveSettings({}, { SONIQ_WORKER_CONCURRENCY: "0" })).toThrow(/SONIQ_WORKER_CONCURRENCY/);
  });

  test("snoozeMaxSeconds / SONIQ_SNOOZE_MAX_SECONDS (default one day, > 0)", () => {
    expect(resolveSettings({}, {}).snoozeMaxSeconds).toBe(86400);
    expect(resolveSettings({}, { SONIQ_SNOOZE_MAX_SECONDS: "3600" }).snoozeMaxSeconds).toBe(3600);
    expect(resolveSettings({ snoozeMaxSeconds: 0.5 }, {}).snoozeMaxSeconds).toBe(0.5);
    expect(() => resolveSettings({ snoozeMaxSeconds: 0 }, {})).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_SETTING }));
    expect(() => resolveSettings({}, { SONIQ_SNOOZE_MAX_SECONDS: "-1" })).toThrow(/SONIQ_SNOOZE_MAX_SECONDS/);
  });

  test("SONIQ_SCHEDULER_SUPPRESS_WARNING silences the periodic-jobs warning of workers", () => {
    const build = (suppress: boolean | undefined) => {
      const lines: string[] = [];
      const app = track(new Soniq({ backend: "memory", logLevel: "warn", logSink: (l) => lines.push(l), ...(suppress === undefined ? {} : { schedulerSuppressWarning: suppress }) }));
      app.periodic({ every: 60, name: "metrics.flush" }, async () => {});
      app.createWorker({ handleSignals: false });
      return lines.filter((l) => JSON.parse(l).msg.includes("periodic jobs are registered")).length;
    };
    expect(build(undefined)).toBe(1);
    expect(build(true)).toBe(0);
    expect(resolveSettings({}, { SONIQ_SCHEDULER_SUPPRESS_WARNING: "1" }).schedulerSuppressWarning).toBe(true);
    expect(resolveSettings({}, { SONIQ_SCHEDULER_SUPPRESS_WARNING: "yes" }).schedulerSuppressWarning).toBe(true);
    expect(resolveSettings({}, {}).schedulerSuppressWarning).toBe(false);
  });

  test("routeMap / SONIQ_ROUTE_MAP must be a JSON object of prefix -> queue", () => {
    expect(resolveSettings({}, { SONIQ_ROUTE_MAP: '{"billing.":"billing"}' }).routeMap).toEqual({ "billing.": "billing" });
    for (const bad of ["[1]", '"x"', "{bad json", '{"a.": 3}', '{"a.": ""}']) {
      expect(() => resolveSettings({}, { SONIQ_ROUTE_MAP: bad })).toThrow(/SONIQ_ROUTE_MAP/);
    }
    expect(() => resolveSettings({ routeMap: ["x"] as never }, {})).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_SETTING }));
  });

  test("backend strings select the backend kind", () => {
    const memory = track(new Soniq({ backend: "memory" }));
    expect(memory.backend.kind).toBe("memory");
    expect(memory.settings.databaseUrl).toBe("memory:");
    const dir = tempDir();
    const sqlite = track(new Soniq({ backend: "sqlite", databaseUrl: join(dir, "x.db") }));
    expect(sqlite.backend.kind).toBe("sqlite");
    expect(track(new Soniq({ backend: "sqlite" })).settings.databaseUrl).toBe("./soniq.db");
    const pg = track(new Soniq({ backend: "postgres", databaseUrl: "postgres://u@localhost:1/x" }));
    expect(pg.backend.kind).toBe("postgres");
    expect(track(new Soniq({ backend: "postgres" })).settings.databaseUrl).toBe("postgres://postgres@localhost/soniq");
    expect(() => new Soniq({ backend: "mysql" as never })).toThrow(/unknown backend "mysql"/);
    expect(() => new Soniq({ backend: "sqlite", databaseUrl: "postgres://x/y" })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_SETTING }));
    expect(() => new Soniq({ backend: 42 as never })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
  });

  test("an explicit backend string beats a SONIQ_DATABASE_URL of another kind", () => {
    const previous = process.env.SONIQ_DATABASE_URL;
    process.env.SONIQ_DATABASE_URL = "postgres://u@localhost:1/x";
    try {
      expect(track(new Soniq({ backend: "memory" })).backend.kind).toBe("memory");
      expect(track(new Soniq({ backend: "postgres" })).settings.databaseUrl).toBe("postgres://u@localhost:1/x");
    } finally {
      if (previous === undefined) delete process.env.SONIQ_DATABASE_URL;
      else process.env.SONIQ_DATABASE_URL = previous;
    }
  });
});

describe.each(BACKENDS)("on $name", (backend) => {
  test("backend: \"<kind>\" runs jobs end to end", async () => {
    const url = await backend.url();
    const app = track(new Soniq({ backend: backend.name, databaseUrl: url, logLevel: "error", pollInterval: 0.05 }));
    await app.setup();
    const add = app.job({ name: "kind.add" }, async ({ a, b }: { a: number; b: number }) => a + b);
    const id = await app.enqueue(add, { a: 2, b: 3 });
    await app.runWorker({ runOnce: true });
    expect(await app.getResult(id)).toBe(5);
  });

  test("routeMap: the longest matching prefix picks the queue when no one names one", async () => {
    const app = await appOn(backend, { routeMap: { "billing.": "billing", "billing.invoices.": "invoices" }, enqueueValidation: "none" });
    const invoice = app.job({ name: "billing.invoices.send" }, async () => {});
    const refund = app.job({ name: "billing.refund" }, async () => {});
    const named = app.job({ name: "billing.named", queue: "special" }, async () => {});
    const other = app.job({ name: "users.welcome" }, async () => {});
    expect(invoice.options.queue).toBe("invoices");
    const queueOf = async (id: Promise<string>) => (await app.getJob(await id))!.queue;
    expect(await queueOf(app.enqueue(invoice, {}))).toBe("invoices");
    expect(await queueOf(app.enqueue(refund, {}))).toBe("billing");
    expect(await queueOf(app.enqueue(named, {}))).toBe("special");
    expect(await queueOf(app.enqueue(other, {}))).toBe("default");
    expect(await queueOf(app.enqueue(refund, {}, { queue: "urgent" }))).toBe("urgent");
    expect(await queueOf(app.enqueue("billing.invoices.remote", {}))).toBe("invoices");
    expect(await queueOf(app.enqueue(taskRef("billing.ref", undefined, { defaultQueue: "ref-queue" }), {}))).toBe("ref-queue");
    expect(await queueOf(app.enqueue(taskRef("billing.ref2"), {}))).toBe("billing");
    await app.scheduler.add({ name: "billing.nightly", every: 3600 });
    expect((await app.scheduler.get("billing.nightly"))?.queue).toBe("billing");
  });

  test("registerTasks() upserts this app's task names into the task registry (idempotent)", async () => {
    const app = await appOn(backend);
    app.job({ name: "registry.plain" }, async () => {});
    const { Type } = await import("../../src/index.ts");
    app.job({ name: "registry.typed", validate: Type.Object({ id: Type.Integer() }) }, async () => {});
    expect(await app.registerTasks()).toBe(2);
    const first = await app.listTaskRegistry();
    expect(first.map((r) => r.taskName)).toEqual(["registry.plain", "registry.typed"]);
    expect(first[0]!.argsModelRepr).toBeNull();
    expect(first[1]!.argsModelRepr).toContain('"id"');
    expect(new Set(first.map((r) => r.workerId)).size).toBe(1);
    await Bun.sleep(5);
    expect(await app.registerTasks()).toBe(2);
    const second = await app.listTaskRegistry();
    expect(second.length).toBe(2);
    expect(second[0]!.lastSeenAt.getTime()).toBeGreaterThanOrEqual(first[0]!.lastSeenAt.getTime());
    await app.registerTasks({ workerId: "worker-b" });
    expect((await app.listTaskRegistry()).length).toBe(4);
    await expect(app.registerTasks({ workerId: "" })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    const empty = await appOn(backend);
    expect(await empty.registerTasks()).toBe(0);
  });

  test("a starting worker records its task names under its own worker id, as Python's do", async () => {
    const app = await appOn(backend);
    app.job({ name: "registry.worker_a" }, async () => {});
    app.job({ name: "registry.worker_b" }, async () => {});
    const summary = await app.runWorker({ runOnce: true });
    for (let i = 0; i < 100 && (await app.listTaskRegistry()).length < 2; i++) await Bun.sleep(20);
    const rows = await app.listTaskRegistry();
    expect(rows.map((r) => [r.taskName, r.workerId])).toEqual([
      ["registry.worker_a", summary.workerId],
      ["registry.worker_b", summary.workerId],
    ]);
  });

  test("JobStatus is a runtime value usable in filters", async () => {
    expect(JobStatus).toEqual({ Queued: "queued", Processing: "processing", Done: "done", Cancelled: "cancelled" });
    expect(Object.isFrozen(JobStatus)).toBe(true);
    const app = await appOn(backend);
    const job = app.job({ name: "status.noop" }, async () => {});
    const id = await app.enqueue(job, {});
    expect((await app.listJobs({ status: JobStatus.Queued })).map((j) => j.id)).toEqual([id]);
    await app.runWorker({ runOnce: true });
    expect((await app.getJob(id))?.status).toBe(JobStatus.Done);
  });

  test("Dates (and Maps, Sets, RegExps) in args are refused at enqueue; nothing is written", async () => {
    const app = await appOn(backend);
    const remind = app.job({ name: "dates.remind" }, async ({ at }: { at: string }) => at);
    for (const bad of [{ at: new Date() }, { nested: { at: new Date() } }, { list: [new Date()] }, { m: new Map() }, { s: new Set([1]) }, { r: /x/ }]) {
      await expect(app.enqueue(remind, bad as never)).rejects.toMatchObject({ code: ErrorCodes.NOT_SERIALIZABLE });
      await expect(app.enqueueMany(remind, [bad as never])).rejects.toMatchObject({ code: ErrorCodes.NOT_SERIALIZABLE });
      await expect(app.scheduler.add({ target: remind, every: 60, args: bad as never })).rejects.toMatchObject({ code: ErrorCodes.NOT_SERIALIZABLE });
    }
    expect((await app.getQueueStats()).total).toBe(0);
    // The documented way: an ISO string, converted in the handler.
    const id = await app.enqueue(remind, { at: new Date(0).toISOString() });
    await app.runWorker({ runOnce: true });
    expect(await app.getResult(id)).toBe("1970-01-01T00:00:00.000Z");
  });

  test("unique jobs hash floats as Python does (1e-7, -0.0)", async () => {
    const app = await appOn(backend);
    const job = app.job({ name: "hash.floats", unique: true }, async () => {});
    const a = await app.enqueue(job, { x: -0 });
    expect(await app.enqueue(job, { x: -0 })).toBe(a);
    const b = await app.enqueue(job, { x: 1e-7 });
    expect(b).not.toBe(a);
    expect(await app.enqueue(job, { x: 1e-7 })).toBe(b);
    if (backend.name === "postgres") {
      const rows = await app.sql<{ args_hash: string }[]>`SELECT args_hash FROM soniq_jobs ORDER BY id`;
      expect(rows.map((r) => r.args_hash)).toEqual([PY_HASH.negZero, PY_HASH.tenMinusSeven]);
    }
  });
});

/** sha256 of Python's json.dumps(args, sort_keys=True, separators=(",", ":")), computed with CPython 3. */
const PY_HASH = {
  tenMinusSeven: "c8b4301d31692cc55fc58ee2d4368e95e4971ac5d25036abceb45c33a05b0fcb", // {"x":1e-07}
  negZero: "529436936b90ebdff10ece80ead76834aeae76aa1e44d6c334ac3ca3832a8fba", // {"x":-0.0}
  mixed: "e23201d80a6896e1deb0732b6d4ae775d885b3dd84478742de73d8b2e99c2ba1", // {"a":1.5e-05,"b":[0.1,-2.5e-10,3],"c":"\u00e9"}
  tenMinusFour: "dabf62dd3991a10b0387fe6421e7e7b839eb811e2dff9276ad71d75af293a3ff", // {"x":0.0001}
  big: "798962d7d7d1673bf7dc958925aaddcbbb25efee6474df4d3e4ae23878705991", // {"big":1e+16}
};

test("computeArgsHash equals Python's for floats", () => {
  expect(computeArgsHash({ x: 1e-7 })).toBe(PY_HASH.tenMinusSeven);
  expect(computeArgsHash({ x: -0 })).toBe(PY_HASH.negZero);
  expect(computeArgsHash({ c: "é", b: [0.1, -2.5e-10, 3], a: 1.5e-5 })).toBe(PY_HASH.mixed);
  expect(computeArgsHash({ x: 0.0001 })).toBe(PY_HASH.tenMinusFour);
  expect(computeArgsHash({ big: 1e16 })).toBe(PY_HASH.big);
});

/**
 * Smoke tests for examples/: each example runs against a fresh PostgreSQL database (imported
 * and called, or spawned with `bun examples/<x>.ts`) and the outcome is checked in the database.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { Soniq } from "../../src/index.ts";
import { freshDatabase, waitFor } from "../helpers/db.ts";
import { importWithEnv, REPO, runBun } from "./helpers.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

function client(url: string): postgres.Sql {
  const sql = postgres(url, { onnotice: () => {}, max: 2 });
  cleanups.push(() => sql.end());
  return sql;
}

async function post(base: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

type OrderApi = typeof import("../../examples/bun-serve-orders.ts");

for (const [name, path] of [
  ["Bun.serve + Bun.sql", "../../examples/bun-serve-orders.ts"],
  ["Hono + app.sql", "../../examples/hono-app.ts"],
] as const) {
  test(`${path.split("/").pop()} (${name}): an order and its invoice job commit together, or neither does`, async () => {
    const databaseUrl = await freshDatabase();
    const { start } = (await import(path)) as OrderApi;
    const shop = await start({ port: 0, databaseUrl });
    cleanups.push(() => shop.stop());
    const sql = client(databaseUrl);

    const created = await post(shop.url, { product: "mug", quantity: 2 });
    expect(created.status).toBe(201);
    const { orderId, jobId } = created.json as { orderId: number; jobId: string };
    const job = await shop.app.getJob(jobId);
    expect(job).toMatchObject({ jobName: "orders.send_invoice", queue: "invoices", status: "queued", args: { orderId } });

    // Out of stock: the transaction throws after the enqueue; the order and the job both roll back.
    const refused = await post(shop.url, { product: "mug", quantity: 1000 });
    expect(refused.status).toBe(409);
    expect(await post(shop.url, { product: "", quantity: 1 })).toMatchObject({ status: 400 });
    expect((await sql`SELECT count(*)::int AS n FROM orders`)[0]!.n).toBe(1);
    expect((await shop.app.getQueueStats()).total).toBe(1);

    // A worker sends the invoice.
    const summary = await shop.app.runWorker({ runOnce: true });
    expect(summary.succeeded).toBe(1);
    expect(await shop.app.getResult(jobId)).toEqual({ orderId, sent: true });
    const order = (await (await fetch(`${shop.url}/orders/${orderId}`)).json()) as { id: number; invoiced_at: string | null };
    expect(order).toMatchObject({ id: orderId, product: "mug", quantity: 2 });
    expect(order.invoiced_at).not.toBeNull();
  });
}

test("bun examples/bun-serve-orders.ts runs standalone: HTTP and a worker in one process, Ctrl-C stops it", async () => {
  const databaseUrl = await freshDatabase();
  const proc = Bun.spawn([process.execPath, "examples/bun-serve-orders.ts"], {
    cwd: REPO,
    env: { ...process.env, SONIQ_DATABASE_URL: databaseUrl, PORT: "0", SONIQ_LOG_LEVEL: "error", SONIQ_POLL_INTERVAL: "0.2" },
    stdout: "pipe",
    stderr: "pipe",
  });
  cleanups.push(async () => proc.kill("SIGKILL"));
  const reader = proc.stdout.getReader();
  let out = "";
  const base = await waitFor(async () => {
    const { value } = await reader.read();
    out += new TextDecoder().decode(value ?? new Uint8Array());
    return out.match(/orders API on (http:\/\/\S+?);/)?.[1];
  }, { timeout: 20_000, message: `the server to start (stdout: ${out})` });
  reader.releaseLock();
  const created = await post(base, { product: "teapot", quantity: 1 });
  expect(created.status).toBe(201);
  const sql = client(databaseUrl);
  await waitFor(async () => (await sql`SELECT invoiced_at FROM orders WHERE id = ${created.json.orderId}`)[0]?.invoiced_at, {
    timeout: 10_000,
    message: "the in-process worker to send the invoice",
  });
  proc.kill("SIGINT");
  expect(await proc.exited).toBe(0);
  expect((await sql`SELECT status FROM soniq_jobs WHERE id = ${created.json.jobId}`)[0]?.status).toBe("done");
});

describe("examples/cross-service: the producer enqueues by taskRef, the consumer owns the handler", () => {
  test("producer and consumer as two processes on one database", async () => {
    const databaseUrl = await freshDatabase();
    const env = { SONIQ_DATABASE_URL: databaseUrl };
    const produced = await runBun(["examples/cross-service/producer.ts", "o-1001", "acme", "4200"], { env });
    expect(produced.stderr).toBe("");
    expect(produced.code).toBe(0);
    const id = produced.stdout.match(/enqueued billing\.invoices\.send\.v2 (\S+)/)?.[1];
    expect(id).toBeDefined();
    const sql = client(databaseUrl);
    const [row] = await sql`SELECT job_name, queue, status, args FROM soniq_jobs WHERE id = ${id!}`;
    expect(row).toMatchObject({ job_name: "billing.invoices.send.v2", queue: "billing", status: "queued", args: { orderId: "o-1001", customer: "acme", amountCents: 4200 } });

    // The producer never imports the handler module.
    const producerSource = readFileSync(join(REPO, "examples/cross-service/producer.ts"), "utf8");
    expect(producerSource).not.toMatch(/from\s+["'][^"']*consumer/);

    const consumed = await runBun(["examples/cross-service/consumer.ts", "--run-once"], { env });
    expect(consumed.code).toBe(0);
    expect(consumed.stdout).toContain("invoice for o-1001: acme owes 42.00 (attempt 1)");
    expect(consumed.stdout).toContain("consumer: 1 succeeded, 0 dead-lettered");
    const [done] = await sql`SELECT status, result FROM soniq_jobs WHERE id = ${id!}`;
    expect(done).toMatchObject({ status: "done", result: { orderId: "o-1001", skipped: false } });
  });

  test("the taskRef validates at enqueue; a bad row written by name is dead-lettered by the consumer's schema", async () => {
    const databaseUrl = await freshDatabase();
    const producerMod = await import("../../examples/cross-service/producer.ts");
    const producer = producerMod.createProducer(databaseUrl);
    cleanups.push(() => producer.close());
    await expect(producerMod.requestInvoice(producer, { orderId: "", customer: "acme", amountCents: 1 })).rejects.toMatchObject({
      code: "SONIQ_VALIDATION_FAILED",
    });
    expect((await producer.getQueueStats()).total).toBe(0);
    // By bare name the producer cannot check the args: the consumer's worker refuses them.
    const byName = await producerMod.requestInvoiceByName(producer, { orderId: "o-2", customer: "acme", amountCents: -5 });
    const consumerMod = await importWithEnv<typeof import("../../examples/cross-service/consumer.ts")>("../../examples/cross-service/consumer.ts", {
      SONIQ_DATABASE_URL: databaseUrl,
      SONIQ_LOG_LEVEL: "silent",
    });
    cleanups.push(() => consumerMod.consumer.close());
    const summary = await consumerMod.consumer.runWorker({ queues: ["billing"], runOnce: true });
    expect(summary.deadLettered).toBe(1);
    expect(await consumerMod.consumer.getJobStatus(byName)).toMatchObject({ status: "dead_letter" });
    expect((await consumerMod.consumer.deadLetter.get(byName))?.reason).toBe("invalid_arguments");
  });
});

describe("examples/periodic.ts", () => {
  const hasPeriodic = typeof (Soniq.prototype as { periodic?: unknown }).periodic === "function";

  test.skipIf(!hasPeriodic)("registers four periodic jobs; their schedules are stored and their runs are ordinary jobs", async () => {
    const databaseUrl = await freshDatabase();
    const mod = await importWithEnv<typeof import("../../examples/periodic.ts")>("../../examples/periodic.ts", {
      SONIQ_DATABASE_URL: databaseUrl,
      SONIQ_LOG_LEVEL: "silent",
    });
    const { app } = mod;
    cleanups.push(() => app.close());
    expect(app.scheduler.periodicNames.sort()).toEqual(["metrics.flush", "reports.daily", "reports.weekly_digest", "sessions.cleanup"]);
    await app.scheduler.syncPeriodic();
    const schedules = Object.fromEntries((await app.scheduler.list()).map((s) => [s.name, s]));
    expect(schedules["metrics.flush"]).toMatchObject({ scheduleType: "interval", scheduleValue: "30", status: "active" });
    expect(schedules["sessions.cleanup"]).toMatchObject({ scheduleType: "cron", scheduleValue: "*/10 * * * *", queue: "maintenance", args: { olderThanHours: 24 } });
    expect(schedules["reports.daily"]).toMatchObject({ scheduleType: "cron", scheduleValue: "CRON_TZ=Europe/Berlin 0 9 * * *", maxAttempts: 3 });
    expect(schedules["reports.weekly_digest"]).toMatchObject({ scheduleType: "cron", scheduleValue: "30 8 * * 1" });
    // The first run of a 30 s interval is 30 s away, not now.
    const firstRun = schedules["metrics.flush"]!.nextRun!.getTime() - Date.now();
    expect(firstRun).toBeGreaterThan(25_000);

    const flushId = await app.scheduler.trigger("metrics.flush");
    const cleanupId = await app.scheduler.trigger("sessions.cleanup");
    const summary = await app.runWorker({ runOnce: true });
    expect(summary.succeeded).toBe(2);
    expect(await app.getResult(flushId)).toMatchObject({ flushedAt: expect.any(String) });
    expect(await app.getResult(cleanupId)).toEqual({ removedOlderThanHours: 24 });
  });

  test.skipIf(!hasPeriodic)("bun examples/periodic.ts starts a scheduler and a worker, prints the schedules, stops on Ctrl-C", async () => {
    const databaseUrl = await freshDatabase();
    const proc = Bun.spawn([process.execPath, "examples/periodic.ts"], {
      cwd: REPO,
      env: { ...process.env, SONIQ_DATABASE_URL: databaseUrl, SONIQ_LOG_LEVEL: "error" },
      stdout: "pipe",
      stderr: "pipe",
    });
    cleanups.push(async () => proc.kill("SIGKILL"));
    const reader = proc.stdout.getReader();
    let out = "";
    await waitFor(async () => {
      const { value } = await reader.read();
      out += new TextDecoder().decode(value ?? new Uint8Array());
      return (out.match(/next run/g)?.length ?? 0) >= 4;
    }, { timeout: 20_000, message: "the schedules to be printed" });
    reader.releaseLock();
    expect(out).toContain("metrics.flush: next run");
    const sql = client(databaseUrl);
    await waitFor(async () => (await sql`SELECT count(*)::int AS n FROM soniq_workers WHERE status = 'active'`)[0]!.n === 1, { message: "the worker to register" });
    await Bun.sleep(300); // its signal handlers go in right after registration
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(0);
    expect((await sql`SELECT count(*)::int AS n FROM soniq_recurring_jobs`)[0]!.n).toBe(4);
    expect((await sql`SELECT status FROM soniq_workers`)[0]!.status).toBe("stopped");
  });

  if (!hasPeriodic) test.skip("app.periodic is not defined yet (src/scheduler in progress): periodic example not exercised", () => {});
});

describe("examples/container: the compiled-binary recipe", () => {
  test("jobs.ts loads with only \"soniq\" and builtins, exports its Soniq instance and registers its jobs", async () => {
    const source = readFileSync(join(REPO, "examples/container/jobs.ts"), "utf8");
    const imports = [...source.matchAll(/^\s*import\s[^;]*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]!);
    expect(imports.length).toBeGreaterThan(0);
    for (const spec of imports) expect(spec === "soniq" || spec === "bun" || spec.startsWith("bun:") || spec.startsWith("node:")).toBe(true);

    const mod = await importWithEnv<Record<string, unknown>>("../../examples/container/jobs.ts", { SONIQ_DATABASE_URL: "memory://" });
    const app = mod.app as Soniq;
    cleanups.push(() => app.close());
    expect(app).toBeInstanceOf(Soniq);
    expect(app.jobNames.sort()).toEqual(["maintenance.purge_dead_letters", "users.send_welcome"]);
  });

  test("the Dockerfile copies files that exist and runs the binary with SONIQ_JOBS_MODULES", () => {
    const dockerfile = readFileSync(join(REPO, "examples/container/Dockerfile"), "utf8");
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
    expect(copied).toContain("examples/container/jobs.ts");
    for (const path of copied) expect(existsSync(join(REPO, path))).toBe(true);
    expect(dockerfile).toContain("bun build --compile");
    expect(dockerfile).toContain("bin/soniq.ts");
    expect(dockerfile).toMatch(/ENV SONIQ_JOBS_MODULES=\.\/jobs\.ts/);
    expect(dockerfile).toMatch(/ENTRYPOINT \["\/usr\/local\/bin\/soniq"\]/);
  });

  test("`soniq worker --run-once` from examples/container runs a queued job (the binary's entry, from source)", async () => {
    const databaseUrl = await freshDatabase();
    const mailer = Bun.serve({ port: 0, fetch: (req) => new Response(new URL(req.url).pathname.startsWith("/welcome/") ? "ok" : "no", { status: 200 }) });
    cleanups.push(async () => mailer.stop(true));
    const producer = new Soniq({ databaseUrl, enqueueValidation: "none", logLevel: "error" });
    cleanups.push(() => producer.close());
    const id = await producer.enqueue("users.send_welcome", { userId: 7 });
    const run = await runBun([join(REPO, "bin/soniq.ts"), "worker", "--run-once"], {
      cwd: join(REPO, "examples/container"),
      env: { SONIQ_DATABASE_URL: databaseUrl, SONIQ_JOBS_MODULES: "./jobs.ts", MAILER_URL: mailer.url.href.replace(/\/$/, "") },
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("1 succeeded");
    expect(await producer.getResult(id)).toEqual({ sent: true });
  });
});

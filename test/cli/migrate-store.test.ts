/**
 * `soniq migrate-store` end to end: the real CLI in a child process, copying between SQLite files
 * (in a temp dir) and real PostgreSQL databases (test/helpers/db.ts).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { Soniq, type JobContext } from "../../src/index.ts";
import { emptyDatabase, freshDatabase } from "../helpers/db.ts";
import { outsideDir, removeTempDirs, runCli } from "./helpers.ts";

const apps: Soniq[] = [];
const clients: postgres.Sql[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all(clients.map((c) => c.end()));
  removeTempDirs();
});

function appOn(url: string, options: ConstructorParameters<typeof Soniq>[0] = {}): Soniq {
  const app = new Soniq({ databaseUrl: url, enqueueValidation: "none", logLevel: "error", pollInterval: 0.05, ...options });
  apps.push(app);
  return app;
}

function pg(url: string): postgres.Sql {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  clients.push(sql);
  return sql;
}

const DEAD_ID = "0190a0a0-0000-7000-8000-000000000001";

interface Seeded {
  due: string;
  future: string;
  unique: string;
  dedup: string;
  retried: string;
  futureAt: Date;
}

/** The five kinds of queued job, a schedule that is due, and a dead letter with tags and replays, in a SQLite file. */
async function seedSqlite(path: string): Promise<Seeded> {
  const app = appOn(path);
  await app.setup();
  const futureAt = new Date(Date.now() + 3_600_000);
  const seeded: Seeded = {
    due: await app.enqueue("mig.echo", { n: 1, text: "héllo", nested: { b: [1, 2.5, null], a: true } }, { priority: 5, queue: "mig" }),
    future: await app.enqueue("mig.echo", { n: 2 }, { scheduledAt: futureAt, queue: "mig" }),
    unique: await app.enqueue("mig.echo", { n: 3 }, { unique: true, queue: "mig" }),
    dedup: await app.enqueue("mig.echo", { n: 4 }, { dedupKey: "mig-k4", queue: "mig" }),
    retried: await app.enqueue("mig.echo", { n: 5 }, { queue: "mig" }),
    futureAt,
  };
  await app.scheduler.add({ name: "mig.tick", every: 60, args: { t: 1 }, queue: "mig" });
  await app.close();
  const db = new Database(path);
  db.run("UPDATE soniq_jobs SET attempts = 2, last_error = 'boom' WHERE id = ?", [seeded.retried]);
  db.run("UPDATE soniq_recurring_jobs SET next_run = ? WHERE job_name = 'mig.tick'", [Date.now() - 1000]);
  db.run(
    `INSERT INTO soniq_dead_letter_jobs (id, job_name, args, queue, priority, max_attempts, attempts, last_error, dead_letter_reason,
       original_created_at, moved_to_dead_letter_at, resurrection_count, last_resurrection_at, tags, created_at)
     VALUES (?, 'mig.dead', '{"x":1}', 'mig', 7, 3, 3, 'it broke', 'max_retries_exceeded', 1700000000000, 1700000001000, 2, 1700000002000, '{"team":"a"}', 1700000001000)`,
    [DEAD_ID],
  );
  db.close();
  return seeded;
}

/** A target-side app with the jobs registered; records every run. */
function targetWorker(url: string, options: ConstructorParameters<typeof Soniq>[0] = {}) {
  const runs: { name: string; args: Record<string, unknown>; attempt: number }[] = [];
  const app = appOn(url, { heartbeatInterval: 0.2, ...options });
  app.job({ name: "mig.echo", retries: 3 }, async (args: Record<string, unknown>, ctx: JobContext) => {
    runs.push({ name: ctx.jobName, args, attempt: ctx.attempt });
    return args.n;
  });
  app.job({ name: "mig.tick" }, async (args: Record<string, unknown>, ctx: JobContext) => {
    runs.push({ name: ctx.jobName, args, attempt: ctx.attempt });
  });
  return { app, runs };
}

/** The password as it appears in the URL (`:secret@`): it must never be printed. */
function secretOf(url: string): string {
  const u = new URL(url);
  return u.password ? `:${u.password}@` : "";
}

describe("migrate-store: refusals", () => {
  test("memory, a missing URL and the same store are usage errors (exit 2)", async () => {
    const dir = outsideDir();
    const file = join(dir, "a.db");
    const memory = await runCli(["migrate-store", "--from", "memory:", "--to", file, "--yes"]);
    expect(memory.code).toBe(2);
    expect(memory.stderr).toContain("memory store lives inside one process");
    const missing = await runCli(["migrate-store", "--from", file, "--yes"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--to URL is required");
    const same = await runCli(["migrate-store", "--from", file, "--to", `sqlite:${file}`, "--yes"]);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain("the same store");
    expect(existsSync(file)).toBe(false);
  });

  test("without --yes and without a TTY it refuses before touching anything (exit 1)", async () => {
    const dir = outsideDir();
    await seedSqlite(join(dir, "src.db"));
    const r = await runCli(["migrate-store", "--from", join(dir, "src.db"), "--to", join(dir, "dst.db")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("refusing without --yes");
    expect(existsSync(join(dir, "dst.db"))).toBe(false);
  });

  test("a source with processing jobs is refused: stop the workers first", async () => {
    const dir = outsideDir();
    const seeded = await seedSqlite(join(dir, "src.db"));
    const db = new Database(join(dir, "src.db"));
    db.run("UPDATE soniq_jobs SET status = 'processing' WHERE id = ?", [seeded.due]);
    db.close();
    const r = await runCli(["migrate-store", "--from", join(dir, "src.db"), "--to", join(dir, "dst.db"), "--yes"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("1 processing job");
    expect(r.stderr).toContain("stop its workers");
    expect(existsSync(join(dir, "dst.db"))).toBe(false);

    // No processing job, but a live worker: it would keep claiming the copied jobs in the source.
    const db2 = new Database(join(dir, "src.db"));
    db2.run("UPDATE soniq_jobs SET status = 'queued' WHERE id = ?", [seeded.due]);
    db2.run(
      "INSERT INTO soniq_workers (id, hostname, pid, queues, concurrency, status, last_heartbeat, started_at, version, metadata) VALUES (?, 'busy-host', 4242, '[]', 1, 'active', ?, ?, 't', '{}')",
      [Bun.randomUUIDv7(), Date.now(), Date.now()],
    );
    db2.close();
    const live = await runCli(["migrate-store", "--from", join(dir, "src.db"), "--to", join(dir, "dst.db"), "--dry-run"]);
    expect(live.code).toBe(1);
    expect(live.stderr).toContain("1 worker still running on the source (busy-host:4242)");
    expect(existsSync(join(dir, "dst.db"))).toBe(false);
  });
});

describe("migrate-store: SQLite to PostgreSQL", () => {
  test("dry run, copy, a worker and the scheduler on the target, then a second run is a no-op", async () => {
    const dir = outsideDir();
    const from = join(dir, "src.db");
    const seeded = await seedSqlite(from);
    const to = await emptyDatabase(); // no schema: the copy sets it up
    const sql = pg(to);
    const secret = secretOf(to);

    const dry = await runCli(["migrate-store", "--from", from, "--to", to, "--dry-run"]);
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("no Soniq schema yet");
    expect(dry.stdout).toContain("Would copy 5 queued jobs, 1 schedule and 1 dead letter");
    expect(dry.stdout).toContain("(dry run: nothing was written)");
    if (secret) expect(dry.stdout).not.toContain(secret);
    expect(dry.stdout).toContain(":***@");
    const [tables] = await sql`SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'soniq_%'`;
    expect(tables!.n).toBe(0);

    const run = await runCli(["migrate-store", "--from", from, "--to", to, "--yes", "--batch-size", "2"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Target schema set up");
    expect(run.stdout).toContain("queued jobs: batch 3, 1 written (5/5)");
    expect(run.stdout).toContain("Copied 5 queued jobs, 1 schedule and 1 dead letter");
    if (secret) expect(run.stdout + run.stderr).not.toContain(secret);

    // Every row as it was in the source.
    const source = appOn(from);
    const target = appOn(to);
    for (const id of [seeded.due, seeded.future, seeded.unique, seeded.dedup, seeded.retried]) {
      const a = (await source.getJob(id))!;
      const b = (await target.getJob(id))!;
      expect(b).not.toBeNull();
      for (const field of ["jobName", "args", "status", "attempts", "maxAttempts", "queue", "priority", "uniqueJob", "dedupKey", "lastError", "producerId"] as const) {
        expect(b[field]).toEqual(a[field]);
      }
      expect(b.scheduledAt?.getTime() ?? null).toBe(a.scheduledAt?.getTime() ?? null);
      expect(b.createdAt.getTime()).toBe(a.createdAt.getTime());
    }
    expect((await target.getJob(seeded.future))!.scheduledAt!.getTime()).toBe(seeded.futureAt.getTime());
    expect((await target.getJob(seeded.retried))!.attempts).toBe(2);
    const srcDb = new Database(from, { readonly: true });
    const srcHash = (srcDb.query("SELECT args_hash FROM soniq_jobs WHERE id = ?").get(seeded.unique) as { args_hash: string }).args_hash;
    srcDb.close();
    const [hash] = await sql`SELECT args_hash, unique_job FROM soniq_jobs WHERE id = ${seeded.unique}`;
    expect(hash!.args_hash).toBe(srcHash);
    const dead = (await target.deadLetter.get(DEAD_ID))!;
    expect(dead).toMatchObject({ jobName: "mig.dead", args: { x: 1 }, queue: "mig", priority: 7, attempts: 3, lastError: "it broke", reason: "max_retries_exceeded", resurrectionCount: 2, tags: { team: "a" } });
    expect(dead.lastResurrectionAt!.getTime()).toBe(1700000002000);
    expect(dead.originalCreatedAt.getTime()).toBe(1700000000000);
    const schedule = (await target.scheduler.get("mig.tick"))!;
    expect(schedule).toMatchObject({ scheduleType: "interval", scheduleValue: "60", args: { t: 1 }, queue: "mig", status: "active", runCount: 0 });
    expect(schedule.nextRun!.getTime()).toBe((await source.scheduler.get("mig.tick"))!.nextRun!.getTime());

    // The unique and dedup claims came along: a twin enqueued on the target gets the copied job's id.
    expect(await target.enqueue("mig.echo", { n: 3 }, { unique: true, queue: "mig" })).toBe(seeded.unique);
    expect(await target.enqueue("mig.echo", { n: 99 }, { dedupKey: "mig-k4", queue: "mig" })).toBe(seeded.dedup);

    // A worker on the target runs them; the schedule fires there. resultTtl 0: done rows are deleted,
    // so only the copy ledger keeps a second run from copying them again.
    const { app: worker, runs } = targetWorker(to, { resultTtl: 0 });
    expect((await worker.scheduler.tick()).fired).toBe(1);
    await worker.runWorker({ runOnce: true, queues: ["mig"] });
    expect(runs.map((r) => r.args.n ?? r.name).sort()).toEqual([1, 3, 4, 5, "mig.tick"].sort() as never);
    expect(runs.find((r) => r.args.n === 5)!.attempt).toBe(3);
    expect(runs.find((r) => r.args.n === 1)!.args).toEqual({ n: 1, text: "héllo", nested: { b: [1, 2.5, null], a: true } });
    expect((await target.getJob(seeded.future))!.status).toBe("queued");
    expect((await target.scheduler.get("mig.tick"))!.runCount).toBe(1);

    const again = await runCli(["migrate-store", "--from", from, "--to", to, "--yes"]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Nothing to copy");
    const [queued] = await sql`SELECT count(*)::int AS n FROM soniq_jobs WHERE status = 'queued'`;
    expect(queued!.n).toBe(1); // the future job only
    await worker.runWorker({ runOnce: true, queues: ["mig"] });
    expect(runs).toHaveLength(5);
    expect(await target.deadLetter.count()).toBe(1);
  });

  test("a target holding conflicting rows is refused and nothing is written", async () => {
    const dir = outsideDir();
    const from = join(dir, "src.db");
    const seeded = await seedSqlite(from);
    const to = await freshDatabase();
    const sql = pg(to);
    const target = appOn(to);
    const holder = await target.enqueue("mig.echo", { other: true }, { dedupKey: "mig-k4" });
    await target.scheduler.add({ name: "mig.tick", every: 30 });
    // The same unique args as a source job (args_hash is the same on every backend).
    const twin = await target.enqueue("mig.echo", { n: 3 }, { unique: true });
    // Same id as a source job, different args.
    await sql`INSERT INTO soniq_jobs (id, job_name, args, queue) VALUES (${seeded.due}, 'mig.echo', '{"n": 100}'::jsonb, 'mig')`;

    const dry = await runCli(["migrate-store", "--from", from, "--to", to, "--dry-run"]);
    expect(dry.code).toBe(1);
    expect(dry.stderr).toContain("Conflicts (4)");
    expect(dry.stderr).toContain("the copy would be refused");

    const r = await runCli(["migrate-store", "--from", from, "--to", to, "--yes"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Conflicts (4)");
    expect(r.stderr).toContain(`unique job ${seeded.unique} (mig.echo): the target's queued job ${twin} has the same args`);
    expect(r.stderr).toContain(`holds the same dedup key "mig-k4"`);
    expect(r.stderr).toContain(`the target's queued job ${holder}`);
    expect(r.stderr).toContain("schedule mig.tick: the target has a different definition (source interval 60, target interval 30;");
    expect(r.stderr).toContain(`queued job ${seeded.due} (mig.echo): the target holds a job with this id and a different args`);
    expect(r.stderr).toContain("error: the target holds 4 conflicting rows: nothing was written");
    const [jobs] = await sql`SELECT count(*)::int AS n FROM soniq_jobs`;
    expect(jobs!.n).toBe(3);
    expect(await target.deadLetter.count()).toBe(0);
    const [ledger] = await sql`SELECT to_regclass('soniq_store_imports') IS NULL AS absent`;
    expect(ledger!.absent).toBe(true);
    expect((await target.scheduler.get("mig.tick"))!.scheduleValue).toBe("30");
  });
});

describe("migrate-store: PostgreSQL to SQLite", () => {
  test("copies queued jobs, schedules and dead letters into a new SQLite file that a worker then drains", async () => {
    const from = await freshDatabase();
    const source = appOn(from);
    // A dead letter first (job_not_found: a worker without jobs), then the queued jobs.
    await source.enqueue("mig.ghost", { g: 1 }, { queue: "mig" });
    const reaper = appOn(from, { logLevel: "silent" });
    await reaper.runWorker({ runOnce: true, queues: ["mig"] });
    await reaper.close();
    const [deadRow] = await source.deadLetter.list({ limit: 1 });
    expect(deadRow).toBeDefined();
    const futureAt = new Date(Date.now() + 3_600_000);
    const due = await source.enqueue("mig.echo", { n: 1, big: 12345678901234, f: 0.1 }, { queue: "mig" });
    const future = await source.enqueue("mig.echo", { n: 2 }, { scheduledAt: futureAt, queue: "mig" });
    const unique = await source.enqueue("mig.echo", { n: 3 }, { unique: true, queue: "mig" });
    const dedup = await source.enqueue("mig.echo", { n: 4 }, { dedupKey: "pg-k4", queue: "mig" });
    await source.scheduler.add({ name: "mig.tick", cron: "*/5 * * * *", args: { t: 2 }, queue: "mig" });

    const dir = outsideDir();
    const to = join(dir, "copy.db");
    const r = await runCli(["migrate-store", "--from", from, "--to", `sqlite:${to}`, "--yes"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Copied 4 queued jobs, 1 schedule and 1 dead letter");
    const secret = secretOf(from);
    if (secret) expect(r.stdout).not.toContain(secret);

    const target = appOn(to);
    for (const id of [due, future, unique, dedup]) {
      const a = (await source.getJob(id))!;
      const b = (await target.getJob(id))!;
      for (const field of ["jobName", "args", "status", "attempts", "maxAttempts", "queue", "priority", "uniqueJob", "dedupKey", "producerId"] as const) {
        expect(b[field]).toEqual(a[field]);
      }
      expect(b.scheduledAt?.getTime() ?? null).toBe(a.scheduledAt?.getTime() ?? null);
      expect(b.createdAt.getTime()).toBe(a.createdAt.getTime());
    }
    const copied = (await target.deadLetter.get(deadRow!.id))!;
    expect(copied).toMatchObject({ jobName: "mig.ghost", args: { g: 1 }, reason: deadRow!.reason, attempts: deadRow!.attempts, lastError: deadRow!.lastError });
    expect(copied.movedAt.getTime()).toBe(deadRow!.movedAt.getTime());
    expect(await target.scheduler.get("mig.tick")).toMatchObject({ scheduleType: "cron", args: { t: 2 }, queue: "mig" });
    expect(await target.enqueue("mig.echo", { n: 4 }, { dedupKey: "pg-k4", queue: "mig" })).toBe(dedup);

    const { app: worker, runs } = targetWorker(to);
    await worker.runWorker({ runOnce: true, queues: ["mig"] });
    expect(runs.map((x) => x.args.n).sort()).toEqual([1, 3, 4]);
    expect(runs.find((x) => x.args.n === 1)!.args).toEqual({ n: 1, big: 12345678901234, f: 0.1 });

    const again = await runCli(["migrate-store", "--from", from, "--to", to, "--yes"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Nothing to copy");
  });
});

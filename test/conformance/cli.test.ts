/**
 * Conformance with the Python Soniq CLI (issue 15), through the real `soniq` CLI in a child
 * process: `soniq` alone, Python log-level names for every command, `inspect`, `tasks-check`,
 * `dead-letter cleanup`, `dead-letter list --filter`, `status --jobs`, the `jobsModules` option and
 * SONIQ_WORKER_CONCURRENCY. Database commands run on PostgreSQL and on a SQLite file (memory
 * cannot be shared with a child process).
 */
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Soniq } from "../../src/index.ts";
import { exitWithin, LIBRARY_ENTRY, outsideDir, removeTempDirs, runCli, startCli, waitFor, writeJobModule } from "../cli/helpers.ts";
import { freshDatabase } from "../helpers/db.ts";

const apps: Soniq[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close().catch(() => {})));
  removeTempDirs();
});

interface Store {
  name: "postgres" | "sqlite";
  url(): Promise<string>;
  /** Run SQL against the store from the test process; `ago(ms)` renders "now minus ms" for it. */
  exec(url: string, sql: (ago: (ms: number) => string) => string): Promise<void>;
}

const STORES: Store[] = [
  {
    name: "postgres",
    url: () => freshDatabase(),
    async exec(url, sql) {
      const app = open(url);
      await app.sql.unsafe(sql((ms) => `now() - interval '${ms / 1000} seconds'`));
    },
  },
  {
    name: "sqlite",
    url: async () => {
      const path = join(mkdtempSync(join(tmpdir(), "soniq-cli-conf-")), "soniq.db");
      const app = open(path);
      await app.setup();
      return path;
    },
    async exec(url, sql) {
      const db = new Database(url);
      try {
        db.run("PRAGMA busy_timeout = 5000");
        db.run(sql((ms) => String(Date.now() - ms)));
      } finally {
        db.close();
      }
    },
  },
];

function open(url: string, options: ConstructorParameters<typeof Soniq>[0] = {}): Soniq {
  const app = new Soniq({ databaseUrl: url, logLevel: "error", pollInterval: 0.05, enqueueValidation: "none", ...options });
  apps.push(app);
  return app;
}

/** Put `n` rows named `name` in the dead-letter queue (job_not_found). */
async function deadLetters(url: string, n: number, name: string): Promise<string[]> {
  const producer = open(url);
  const ids = await producer.enqueueMany(name, Array.from({ length: n }, (_, i) => ({ i })));
  const consumer = new Soniq({ databaseUrl: url, logLevel: "silent" });
  await consumer.runWorker({ runOnce: true });
  await consumer.close();
  return ids;
}

const DAY = 86_400_000;

test("`soniq` with no command prints the help on stderr and exits 1", async () => {
  const r = await runCli([]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("USAGE");
  expect(r.stderr).toContain("tasks-check");
  expect(r.stdout).toBe("");
});

describe.each(STORES)("on $name", (store) => {
  test("SONIQ_LOG_LEVEL=WARNING (and --log-level CRITICAL) work for every command", async () => {
    const url = await store.url();
    const dir = outsideDir();
    writeJobModule(dir, LIBRARY_ENTRY);
    writeFileSync(join(dir, "stubs.ts"), `import { taskRef } from ${JSON.stringify(LIBRARY_ENTRY)};\nexport const add = taskRef("cli.add");\n`);
    const env = { SONIQ_DATABASE_URL: url, SONIQ_LOG_LEVEL: "WARNING" };
    const commands: string[][] = [
      ["setup"],
      ["status"],
      ["status", "--jobs"],
      ["inspect"],
      ["migrate-status"],
      ["jobs", "list"],
      ["dead-letter", "list"],
      ["dead-letter", "cleanup", "--yes"],
      ["schedules", "list"],
      ["worker", "--run-once", "--jobs-modules", "./jobs.ts"],
      ["version"],
    ];
    for (const args of commands) {
      const r = await runCli(args, { cwd: dir, env });
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: "" });
    }
    const check = await runCli(["tasks-check", "./stubs.ts"], { cwd: dir, env });
    expect(check.stderr).not.toContain("INVALID_SETTING");
    expect(check.code).toBe(0); // the worker above recorded cli.add in the task registry: no drift
    const flag = await runCli(["status", "--log-level", "CRITICAL"], { cwd: dir, env: { SONIQ_DATABASE_URL: url } });
    expect(flag.code).toBe(0);
    for (const args of [["scheduler", "--jobs-modules", "./jobs.ts", "--check-interval", "0.2"], ["dashboard", "--port", "0"]]) {
      const live = startCli(args, { cwd: dir, env });
      await waitFor(() => /starting|listening|serving|http:\/\//i.test(live.output()), { message: `${args[0]} to start:\n${live.output()}` });
      live.proc.kill("SIGTERM");
      expect(await exitWithin(live, 15_000)).toBe(0);
      expect(live.output()).not.toContain("INVALID_SETTING");
    }
  }, 120_000);

  test("inspect: workers in detail, --stale, --cleanup, --schedules, --json", async () => {
    const url = await store.url();
    const app = open(url);
    await app.ensureInitialized();
    const staleId = crypto.randomUUID();
    const liveId = crypto.randomUUID();
    const registration = (id: string, pid: number) => ({ id, hostname: "inspect-host", pid, queues: ["emails"], concurrency: 3, version: "test", metadata: {} });
    expect(await app.backend.registerWorker(registration(staleId, 101), 0)).toBe(staleId);
    expect(await app.backend.registerWorker(registration(liveId, 102), 0)).toBe(liveId);
    const jobId = await app.enqueue("inspect.job", {});
    expect((await app.backend.claimJobs(staleId, null, 1)).map((j) => j.id)).toEqual([jobId]);
    await store.exec(url, (ago) => `UPDATE soniq_workers SET last_heartbeat = ${ago(3_600_000)} WHERE id = '${staleId}'`);
    await app.scheduler.add({ name: "reports.daily", cron: "0 9 * * *" });
    await app.scheduler.add({ name: "metrics.flush", every: 30 });
    await app.scheduler.pause("metrics.flush");
    const env = { SONIQ_DATABASE_URL: url };

    const human = await runCli(["inspect"], { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("1 active, 1 stale");
    expect(human.stdout).toContain("total concurrency 3");
    expect(human.stdout).toContain(staleId);
    expect(human.stdout).toContain("Recurring schedules: 2 (1 active, 1 paused)");

    const stale = JSON.parse((await runCli(["inspect", "--stale", "--json"], { env })).stdout);
    expect(stale.workers.map((w: { id: string }) => w.id)).toEqual([staleId]);
    expect(stale.counts).toEqual({ active: 1, stale: 1, stopped: 0, totalConcurrency: 3 });

    const schedules = await runCli(["inspect", "--schedules"], { env });
    expect(schedules.stdout).toContain("reports.daily");
    expect(schedules.stdout).toContain("every 30s");

    const cleanup = await runCli(["inspect", "--cleanup"], { env });
    expect(cleanup.code).toBe(0);
    expect(cleanup.stdout).toContain("Cleanup: 1 stale worker marked stopped, 1 job requeued");
    expect((await app.getJob(jobId))?.status).toBe("queued");
    const after = JSON.parse((await runCli(["inspect", "--json"], { env })).stdout);
    expect(after.counts.stale).toBe(0);
    expect(after.counts.stopped).toBe(1);
  }, 60_000);

  test("tasks-check: exit 0 when every stub name is registered, 2 with a DRIFT report otherwise", async () => {
    const url = await store.url();
    const dir = outsideDir();
    writeFileSync(
      join(dir, "stubs.ts"),
      `import { taskRef } from ${JSON.stringify(LIBRARY_ENTRY)};
export const sendInvoice = taskRef("billing.send_invoice");
export const refs = { refund: taskRef("billing.refund") };
export const notATask = 42;
`,
    );
    writeFileSync(join(dir, "empty.ts"), "export const nothing = 1;\n");
    const env = { SONIQ_DATABASE_URL: url };
    const consumer = open(url);
    consumer.job({ name: "billing.send_invoice" }, async () => {});
    await consumer.registerTasks();

    const drift = await runCli(["tasks-check", "./stubs.ts"], { cwd: dir, env });
    expect(drift.code).toBe(2);
    expect(drift.stderr).toContain("DRIFT: 1 task name of 2 not registered");
    expect(drift.stderr).toContain("billing.refund");
    expect(drift.stderr).not.toContain("billing.send_invoice");
    const json = JSON.parse((await runCli(["tasks-check", "./stubs.ts", "--json"], { cwd: dir, env })).stdout);
    expect(json.ok).toBe(false);
    expect(json.missing).toEqual(["billing.refund"]);

    consumer.job({ name: "billing.refund" }, async () => {});
    await consumer.registerTasks();
    const ok = await runCli(["tasks-check", "./stubs.ts"], { cwd: dir, env });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("OK: 2 task names registered by a worker");

    expect((await runCli(["tasks-check"], { cwd: dir, env })).code).toBe(2);
    const empty = await runCli(["tasks-check", "./empty.ts"], { cwd: dir, env });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("no taskRef or job handle is exported");
  }, 60_000);

  test("dead-letter cleanup --days N [--yes] deletes only older rows", async () => {
    const url = await store.url();
    const oldIds = await deadLetters(url, 2, "cleanup.old");
    const newIds = await deadLetters(url, 1, "cleanup.new");
    const list = oldIds.map((id) => `'${id}'`).join(",");
    await store.exec(url, (ago) => `UPDATE soniq_dead_letter_jobs SET moved_to_dead_letter_at = ${ago(40 * DAY)} WHERE id IN (${list})`);
    const env = { SONIQ_DATABASE_URL: url };

    const refused = await runCli(["dead-letter", "cleanup", "--days", "30"], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("refusing without --yes");
    const dry = await runCli(["dead-letter", "cleanup", "--days", "30", "--dry-run"], { env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("Would delete 2 dead-letter jobs");
    expect((await runCli(["dead-letter", "cleanup", "--days", "abc", "--yes"], { env })).code).toBe(2);

    const done = await runCli(["dead-letter", "cleanup", "--days", "30", "--yes"], { env });
    expect(done.code).toBe(0);
    expect(done.stdout).toContain("Deleted 2 dead-letter jobs older than 30 days");
    const app = open(url);
    expect((await app.deadLetter.list()).map((r) => r.id)).toEqual(newIds);
    expect(await app.deadLetter.cleanup(0)).toBe(1); // the API: rows moved before now
  }, 60_000);

  test("dead-letter list --filter NAME (and --job-name, the same option)", async () => {
    const url = await store.url();
    await deadLetters(url, 2, "filter.alpha");
    await deadLetters(url, 1, "filter.beta");
    const env = { SONIQ_DATABASE_URL: url };
    const names = async (args: string[]) => (JSON.parse((await runCli(["dead-letter", "list", "--json", ...args], { env })).stdout) as { jobName: string }[]).map((r) => r.jobName);
    expect(await names(["--filter", "filter.alpha"])).toEqual(["filter.alpha", "filter.alpha"]);
    expect(await names(["--job-name", "filter.beta"])).toEqual(["filter.beta"]);
    expect((await names(["--filter", "filter.alpha,filter.beta"])).length).toBe(3);
    const both = await runCli(["dead-letter", "list", "--filter", "a", "--job-name", "b"], { env });
    expect(both.code).toBe(2);
  }, 60_000);

  test("status --jobs lists the 10 most recent jobs", async () => {
    const url = await store.url();
    const app = open(url);
    const ids = [];
    for (let i = 0; i < 12; i++) ids.push(await app.enqueue("recent.job", { i }));
    const env = { SONIQ_DATABASE_URL: url };
    const json = JSON.parse((await runCli(["status", "--jobs", "--json"], { env })).stdout);
    expect(json.recentJobs.length).toBe(10);
    expect(new Set(json.recentJobs.map((j: { id: string }) => j.id))).toEqual(new Set(ids.slice(2)));
    expect(JSON.parse((await runCli(["status", "--json"], { env })).stdout).recentJobs).toBeUndefined();
    const human = await runCli(["status", "--jobs"], { env });
    expect(human.stdout).toContain("Recent jobs (10)");
    expect(human.stdout).toContain(ids[11]!);
  }, 60_000);
});

describe("worker", () => {
  test("the instance's jobsModules option names more job modules to import", async () => {
    const url = await freshDatabase();
    const dir = outsideDir();
    writeFileSync(
      join(dir, "app.ts"),
      `import { Soniq } from ${JSON.stringify(LIBRARY_ENTRY)};
export const app = new Soniq({ databaseUrl: process.env.SONIQ_DATABASE_URL, jobsModules: ["./more.ts"] });
`,
    );
    writeFileSync(
      join(dir, "more.ts"),
      `import { app } from "./app.ts";
export const triple = app.job({ name: "more.triple" }, async ({ n }: { n: number }) => n * 3);
`,
    );
    const id = await open(url).enqueue("more.triple", { n: 5 });
    const r = await runCli(["worker", "--run-once", "--jobs-modules", "./app.ts"], { cwd: dir, env: { SONIQ_DATABASE_URL: url } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1 succeeded");
    expect(await open(url).getResult(id)).toBe(15);
    writeFileSync(join(dir, "broken.ts"), `import { Soniq } from ${JSON.stringify(LIBRARY_ENTRY)};\nexport const app = new Soniq({ jobsModules: ["./absent.ts"] });\n`);
    const broken = await runCli(["worker", "--run-once", "--jobs-modules", "./broken.ts"], { cwd: dir, env: { SONIQ_DATABASE_URL: url } });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("./absent.ts");
  }, 60_000);

  test("SONIQ_WORKER_CONCURRENCY sets the CLI worker's concurrency; a conflicting SONIQ_CONCURRENCY is refused", async () => {
    const url = await freshDatabase();
    const dir = outsideDir();
    writeJobModule(dir, LIBRARY_ENTRY);
    const r = await runCli(["worker", "--run-once", "--jobs-modules", "./jobs.ts"], { cwd: dir, env: { SONIQ_DATABASE_URL: url, SONIQ_WORKER_CONCURRENCY: "3" } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("concurrency 3");
    const clash = await runCli(["worker", "--run-once", "--jobs-modules", "./jobs.ts"], {
      cwd: dir,
      env: { SONIQ_DATABASE_URL: url, SONIQ_WORKER_CONCURRENCY: "3", SONIQ_CONCURRENCY: "5" },
    });
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain("SONIQ_WORKER_CONCURRENCY");
  }, 60_000);
});

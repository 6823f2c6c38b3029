/** `soniq scheduler` and `soniq schedules ...`, run as real processes against a SQLite file. */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Soniq } from "../../src/index.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BIN = join(ROOT, "bin", "soniq.ts");
const JOBS = join(import.meta.dir, "..", "fixtures", "scheduler", "jobs.ts");
const dir = mkdtempSync(join(tmpdir(), "soniq-sched-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function database(): Promise<{ url: string; app: Soniq }> {
  const url = `sqlite:${join(dir, `db${++n}.db`)}`;
  const app = new Soniq({ databaseUrl: url, logLevel: "silent", enqueueValidation: "none" });
  await app.setup();
  return { url, app };
}

const env = () => {
  const e: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
  delete e.SONIQ_DATABASE_URL;
  delete e.SONIQ_JOBS_MODULES;
  delete e.SONIQ_ENQUEUE_VALIDATION;
  return e;
};

async function soniq(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(["bun", BIN, ...args], { cwd: ROOT, env: env(), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

test("soniq schedules list|pause|resume|remove|trigger", async () => {
  const { url, app } = await database();
  try {
    expect((await soniq("schedules", "list", "--database-url", url)).stdout).toContain("No schedules.");
    await app.scheduler.add({ name: "ops.report", cron: "0 9 * * 1", args: { to: "ops" }, queue: "mail", priority: 5 });
    await app.scheduler.add({ name: "ops.ping", every: 30 });

    const list = await soniq("schedules", "list", "--database-url", url);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/NAME\s+STATUS\s+SCHEDULE/);
    expect(list.stdout).toMatch(/ops\.report\s+active\s+0 9 \* \* 1\s+mail/);
    expect(list.stdout).toMatch(/ops\.ping\s+active\s+every 30s/);

    const json = await soniq("schedules", "list", "--json", "--database-url", url);
    const rows = JSON.parse(json.stdout) as { name: string; scheduleValue: string; args: unknown; nextRun: string }[];
    expect(rows.map((r) => r.name)).toEqual(["ops.ping", "ops.report"]);
    expect(rows[1]).toMatchObject({ scheduleValue: "0 9 * * 1", args: { to: "ops" } });
    expect(Number.isNaN(Date.parse(rows[1]!.nextRun))).toBe(false);

    expect(await soniq("schedules", "pause", "ops.report", "--database-url", url)).toMatchObject({ code: 0, stdout: "Paused schedule ops.report\n" });
    expect((await app.scheduler.get("ops.report"))!.status).toBe("paused");
    const paused = await soniq("schedules", "list", "--status", "paused", "--json", "--database-url", url);
    expect((JSON.parse(paused.stdout) as { name: string }[]).map((r) => r.name)).toEqual(["ops.report"]);
    expect(await soniq("schedules", "resume", "ops.report", "--database-url", url)).toMatchObject({ code: 0, stdout: "Resumed schedule ops.report\n" });
    expect((await app.scheduler.get("ops.report"))!.status).toBe("active");

    const trigger = await soniq("schedules", "trigger", "ops.report", "--database-url", url);
    expect(trigger.code).toBe(0);
    const id = /Enqueued job (\S+) for schedule ops\.report/.exec(trigger.stdout)![1]!;
    expect(await app.getJob(id)).toMatchObject({ jobName: "ops.report", args: { to: "ops" }, queue: "mail", priority: 5, status: "queued" });
    expect((await app.scheduler.get("ops.report"))!.runCount).toBe(0);

    expect(await soniq("schedules", "remove", "ops.ping", "--database-url", url)).toMatchObject({ code: 0, stdout: "Removed schedule ops.ping\n" });
    expect(await app.scheduler.get("ops.ping")).toBeNull();

    for (const action of ["pause", "resume", "remove", "trigger"]) {
      const missing = await soniq("schedules", action, "no.such", "--database-url", url);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('no schedule named "no.such"');
    }
    expect((await soniq("schedules", "pause", "--database-url", url)).code).toBe(2); // missing name
  } finally {
    await app.close();
  }
}, 30_000);

test("soniq scheduler fires the modules' periodic jobs and stops gracefully on SIGTERM", async () => {
  const { url, app } = await database();
  try {
    const proc = Bun.spawn(["bun", BIN, "scheduler", "--jobs-modules", JOBS, "--check-interval", "0.2", "--database-url", url, "--log-level", "warn"], {
      cwd: ROOT,
      env: env(),
      stdout: "pipe",
      stderr: "pipe",
    });
    const deadline = Date.now() + 15_000;
    while ((await app.listJobs({ jobName: "cli.beat" })).length < 2 && Date.now() < deadline) await Bun.sleep(100);
    proc.kill("SIGTERM");
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain("soniq scheduler: starting on sqlite");
    expect(stdout).toContain("1 periodic job (cli.beat)");
    expect(stdout).toMatch(/soniq scheduler: stopped after \d+ checks \(\d+ as leader\), \d+ jobs enqueued/);
    expect(stderr).toContain("SIGTERM received");
    const jobs = await app.listJobs({ jobName: "cli.beat" });
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    expect(jobs[0]).toMatchObject({ args: { from: "cli" }, queue: "beats" });
    expect((await app.scheduler.get("cli.beat"))!.runCount).toBe(jobs.length);
  } finally {
    await app.close();
  }
}, 30_000);

test("soniq scheduler without modules fires the schedules already in the database; bad flags are usage errors", async () => {
  const { url, app } = await database();
  try {
    await app.scheduler.add({ name: "remote.only", every: 1 });
    const proc = Bun.spawn(["bun", BIN, "scheduler", "--check-interval", "0.2", "--database-url", url, "--log-level", "warn"], {
      cwd: ROOT,
      env: env(),
      stdout: "pipe",
      stderr: "pipe",
    });
    const deadline = Date.now() + 15_000;
    while ((await app.listJobs({ jobName: "remote.only" })).length < 1 && Date.now() < deadline) await Bun.sleep(100);
    proc.kill("SIGINT");
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain("no job modules");
    expect((await app.listJobs({ jobName: "remote.only" })).length).toBeGreaterThanOrEqual(1);

    for (const bad of ["0", "abc", "-1"]) {
      const r = await soniq("scheduler", "--check-interval", bad, "--database-url", url);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("--check-interval");
    }
  } finally {
    await app.close();
  }
}, 30_000);

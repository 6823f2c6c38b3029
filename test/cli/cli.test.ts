/**
 * The `soniq` CLI end to end: the real `bun bin/soniq.ts` in a child process against a real
 * PostgreSQL database per test (test/helpers/db.ts).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Soniq } from "../../src/index.ts";
import { emptyDatabase, freshDatabase } from "../helpers/db.ts";
import { LIBRARY_ENTRY, outsideDir, removeTempDirs, runCli, writeJobModule } from "./helpers.ts";

const apps: Soniq[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  removeTempDirs();
});

/** A producer-side app on `url` that may enqueue any task name. */
function producer(url: string): Soniq {
  const app = new Soniq({ databaseUrl: url, enqueueValidation: "none", logLevel: "error", pollInterval: 0.05 });
  apps.push(app);
  return app;
}

/** Put `n` rows in the dead-letter queue (job_not_found: a worker with no jobs registered). */
async function deadLetters(url: string, n: number, name = "cli.ghost"): Promise<string[]> {
  const app = producer(url);
  const before = await app.deadLetter.count();
  const ids = await app.enqueueMany(name, Array.from({ length: n }, (_, i) => ({ i })));
  const worker = new Soniq({ databaseUrl: url, logLevel: "silent" });
  await worker.runWorker({ runOnce: true });
  await worker.close();
  expect(await app.deadLetter.count()).toBe(before + n);
  return ids;
}

describe("usage errors", () => {
  test("unknown command exits 2", async () => {
    const r = await runCli(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
  });

  test("--concurrency abc exits 2", async () => {
    const r = await runCli(["worker", "--concurrency", "abc", "--jobs-modules", "./nothing.ts"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--concurrency must be an integer");
  });

  test("unknown flag, missing argument and bad enum value exit 2", async () => {
    expect((await runCli(["worker", "--run-onec"])).code).toBe(2);
    expect((await runCli(["jobs", "show"])).code).toBe(2);
    expect((await runCli(["jobs", "list", "--status", "weird"])).code).toBe(2);
    expect((await runCli(["dead-letter", "replay"])).code).toBe(2);
    expect((await runCli([])).code).toBe(1); // no command: help on stderr, exit 1 (as Python)
  });

  test("--help exits 0 for every command; version prints the version", async () => {
    for (const args of [["--help"], ["worker", "--help"], ["dead-letter", "purge", "--help"], ["jobs", "--help"]]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("USAGE");
    }
    const pkg = JSON.parse(readFileSync(join(import.meta.dir, "../../package.json"), "utf8"));
    const v = await runCli(["version"]);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(pkg.version);
  });
});

describe("setup and status", () => {
  test("setup applies the migrations, a second run is a no-op", async () => {
    const url = await emptyDatabase();
    const first = await runCli(["setup", "--database-url", url]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Applied \d+ migrations? successfully/);
    const second = await runCli(["setup"], { env: { SONIQ_DATABASE_URL: url } });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("no migrations needed");

    const status = await runCli(["migrate-status", "--json"], { env: { SONIQ_DATABASE_URL: url } });
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout);
    expect(parsed.pending).toBe(0);
    expect(parsed.applied).toBe(parsed.total);
  });

  test("status --json reports health, counts and workers", async () => {
    const url = await freshDatabase();
    await producer(url).enqueue("cli.add", { a: 1, b: 2 });
    const r = await runCli(["status", "--json"], { env: { SONIQ_DATABASE_URL: url } });
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout);
    expect(parsed.healthy).toBe(true);
    expect(parsed.stats.queued).toBe(1);
    expect(parsed.queues[0].queue).toBe("default");
    expect(Array.isArray(parsed.workers)).toBe(true);
    const human = await runCli(["status"], { env: { SONIQ_DATABASE_URL: url } });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("healthy");
  });

  test("an unreachable database exits 1 with a one-line reason", async () => {
    const r = await runCli(["status", "--database-url", "postgres://nobody:x@127.0.0.1:1/nothing"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toStartWith("error: ");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("worker", () => {
  test("--run-once runs the jobs of a TypeScript module outside the repo", async () => {
    const url = await freshDatabase();
    const dir = outsideDir();
    writeJobModule(dir, LIBRARY_ENTRY);
    const app = producer(url);
    const ids = await Promise.all([1, 2, 3].map((i) => app.enqueue("cli.add", { a: i, b: 10 })));
    const r = await runCli(["worker", "--run-once", "--jobs-modules", "./jobs.ts", "--concurrency", "2"], { cwd: dir, env: { SONIQ_DATABASE_URL: url } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("soniq worker: starting");
    expect(r.stdout).toContain("3 succeeded");
    for (const [i, id] of ids.entries()) {
      const job = await app.getJob(id);
      expect(job?.status).toBe("done");
      expect(job?.result).toBe(i + 1 + 10);
    }
  });

  test("modules from SONIQ_JOBS_MODULES and --jobs-modules are merged; --queues limits the worker", async () => {
    const url = await freshDatabase();
    const dir = outsideDir();
    writeJobModule(dir, LIBRARY_ENTRY);
    const app = producer(url);
    const inA = await app.enqueue("cli.add", { a: 1, b: 1 }, { queue: "a" });
    const inB = await app.enqueue("cli.add", { a: 2, b: 2 }, { queue: "b" });
    const r = await runCli(["worker", "--run-once", "--queues", "a", "--jobs-modules", join(dir, "jobs.ts")], {
      env: { SONIQ_DATABASE_URL: url, SONIQ_JOBS_MODULES: join(dir, "jobs.ts") },
    });
    expect(r.code).toBe(0);
    expect((await app.getJob(inA))?.status).toBe("done");
    expect((await app.getJob(inB))?.status).toBe("queued");
  });

  test("no module given exits 1 with the message", async () => {
    const r = await runCli(["worker", "--run-once"], { env: { SONIQ_DATABASE_URL: "memory:" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SONIQ_JOBS_MODULES is not set and --jobs-modules was not passed");
  });

  test("every module that fails to import is named, exit 1", async () => {
    const dir = outsideDir();
    writeJobModule(dir, LIBRARY_ENTRY);
    writeFileSync(join(dir, "broken.ts"), `throw new Error("broken at import time");\n`);
    const r = await runCli(["worker", "--run-once", "--jobs-modules", "./broken.ts,./jobs.ts,./absent.ts"], { cwd: dir, env: { SONIQ_DATABASE_URL: "memory:" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("could not import 2 job modules");
    expect(r.stderr).toContain("./broken.ts: broken at import time");
    expect(r.stderr).toContain("./absent.ts");
  });

  test("a module that exports no Soniq instance, or --database-url for another database, exits 1", async () => {
    const dir = outsideDir();
    writeFileSync(join(dir, "hidden.ts"), `import { Soniq } from ${JSON.stringify(LIBRARY_ENTRY)};\nconst app = new Soniq({ databaseUrl: "memory:" });\napp.job({ name: "x.y" }, async () => 1);\n`);
    const hidden = await runCli(["worker", "--run-once", "--jobs-modules", "./hidden.ts"], { cwd: dir });
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toContain("export");

    writeFileSync(join(dir, "pinned.ts"), `import { Soniq } from ${JSON.stringify(LIBRARY_ENTRY)};\nexport const app = new Soniq({ databaseUrl: "memory:" });\napp.job({ name: "x.y" }, async () => 1);\n`);
    const other = await runCli(["worker", "--run-once", "--jobs-modules", "./pinned.ts", "--database-url", "postgres://u@elsewhere/db"], { cwd: dir });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("differs from the database");
  });
});

describe("jobs", () => {
  test("list --json parses; show, cancel and delete", async () => {
    const url = await freshDatabase();
    const app = producer(url);
    const a = await app.enqueue("cli.add", { a: 1, b: 2 }, { queue: "q1" });
    const b = await app.enqueue("cli.add", { a: 3, b: 4 });
    const env = { SONIQ_DATABASE_URL: url };

    const list = await runCli(["jobs", "list", "--json"], { env });
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as { id: string; status: string }[];
    expect(rows.map((r) => r.id).sort()).toEqual([a, b].sort());
    const filtered = JSON.parse((await runCli(["jobs", "list", "--json", "--queue", "q1"], { env })).stdout);
    expect(filtered.map((r: { id: string }) => r.id)).toEqual([a]);
    expect((await runCli(["jobs", "list", "--limit", "x"], { env })).code).toBe(2);

    const show = await runCli(["jobs", "show", a, "--json"], { env });
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout).args).toEqual({ a: 1, b: 2 });

    expect((await runCli(["jobs", "cancel", a], { env })).code).toBe(0);
    expect((await app.getJob(a))?.status).toBe("cancelled");
    const again = await runCli(["jobs", "cancel", a], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("cancelled");

    expect((await runCli(["jobs", "delete", b], { env })).code).toBe(0);
    expect(await app.getJob(b)).toBeNull();
    const missing = await runCli(["jobs", "show", b], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("not found");
  });
});

describe("dead-letter", () => {
  test("replay <id> needs no job module: a new queued job row exists", async () => {
    const url = await freshDatabase();
    const [id] = await deadLetters(url, 1);
    const app = producer(url);
    const r = await runCli(["dead-letter", "replay", id!], { env: { SONIQ_DATABASE_URL: url } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const newId = r.stdout.match(/as job (\S+)/)?.[1];
    expect(newId).toBeDefined();
    const job = await app.getJob(newId!);
    expect(job?.status).toBe("queued");
    expect(job?.jobName).toBe("cli.ghost");
    expect((await app.deadLetter.get(id!))?.resurrectionCount).toBe(1);

    const unknown = await runCli(["dead-letter", "replay", "00000000-0000-0000-0000-000000000000"], { env: { SONIQ_DATABASE_URL: url } });
    expect(unknown.code).toBe(1);
  });

  test("list and show, --json", async () => {
    const url = await freshDatabase();
    const [id] = await deadLetters(url, 2);
    const env = { SONIQ_DATABASE_URL: url };
    const list = await runCli(["dead-letter", "list", "--json", "--reason", "job_not_found"], { env });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toHaveLength(2);
    const limited = await runCli(["dead-letter", "list", "--json", "--limit", "1"], { env });
    expect(JSON.parse(limited.stdout)).toHaveLength(1);
    const show = await runCli(["dead-letter", "show", id!, "--json"], { env });
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout).reason).toBe("job_not_found");
    const human = await runCli(["dead-letter", "list"], { env });
    expect(human.stdout).toContain("job_not_found");
  });

  test("purge without --yes and with a non-TTY stdin refuses (exit 1) and deletes nothing", async () => {
    const url = await freshDatabase();
    await deadLetters(url, 3);
    const app = producer(url);
    for (const args of [["dead-letter", "purge"], ["dead-letter", "delete", "--all"], ["dead-letter", "replay", "--all"]]) {
      const r = await runCli(args, { env: { SONIQ_DATABASE_URL: url } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("refusing without --yes: stdin is not a TTY");
    }
    expect(await app.deadLetter.count()).toBe(3);
    expect((await app.listJobs()).length).toBe(0);
  });

  test("--dry-run changes nothing", async () => {
    const url = await freshDatabase();
    await deadLetters(url, 3);
    const app = producer(url);
    const env = { SONIQ_DATABASE_URL: url };
    for (const args of [["dead-letter", "purge", "--dry-run"], ["dead-letter", "replay", "--all", "--dry-run"], ["dead-letter", "delete", "--all", "--dry-run", "--yes"]]) {
      const r = await runCli(args, { env });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Would ");
      expect(r.stdout).toContain("3 dead-letter jobs");
      expect(r.stdout).toContain("dry run");
    }
    expect(await app.deadLetter.count()).toBe(3);
    expect((await app.listJobs()).length).toBe(0);
    expect((await app.deadLetter.list()).every((r) => r.resurrectionCount === 0)).toBe(true);
  });

  test("--yes performs bulk actions; export writes CSV or JSON", async () => {
    const url = await freshDatabase();
    await deadLetters(url, 2, "cli.ghost");
    await deadLetters(url, 1, "cli.other");
    const app = producer(url);
    const env = { SONIQ_DATABASE_URL: url };
    const dir = outsideDir();

    const csvPath = join(dir, "dead.csv");
    const exp = await runCli(["dead-letter", "export", "--output", csvPath], { env });
    expect(exp.code).toBe(0);
    expect(existsSync(csvPath)).toBe(true);
    expect(readFileSync(csvPath, "utf8").trim().split("\n")).toHaveLength(4);
    const json = await runCli(["dead-letter", "export", "--format", "json", "--job-name", "cli.ghost"], { env });
    expect(JSON.parse(json.stdout)).toHaveLength(2);

    const replay = await runCli(["dead-letter", "replay", "--all", "--job-name", "cli.ghost", "--yes"], { env });
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain("Replayed 2 dead-letter jobs");
    expect((await app.listJobs({ status: "queued" })).length).toBe(2);

    const purge = await runCli(["dead-letter", "purge", "--yes", "--job-name", "cli.other"], { env });
    expect(purge.code).toBe(0);
    expect(await app.deadLetter.count()).toBe(2);
    const purgeAll = await runCli(["dead-letter", "purge", "-y"], { env });
    expect(purgeAll.code).toBe(0);
    expect(await app.deadLetter.count()).toBe(0);
  });
});

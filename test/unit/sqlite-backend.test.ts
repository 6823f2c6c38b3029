import { afterAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteBackend } from "../../src/backends/sqlite/index.ts";
import { ErrorCodes, isSoniqError } from "../../src/errors.ts";
import { backendSuite, job } from "./backend-suite.ts";

const dir = mkdtempSync(join(tmpdir(), "soniq-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = () => join(dir, `t${++files}.db`);

backendSuite(
  "sqlite",
  async () => {
    const b = new SqliteBackend({ path: freshPath() });
    await b.initialize();
    return b;
  },
  (b) => b.close(),
);

test("sqlite: capabilities and kind", () => {
  const b = new SqliteBackend({ path: ":memory:" });
  expect(b.kind).toBe("sqlite");
  expect(b.capabilities).toEqual({ transactionalEnqueue: false, pushNotify: false, advisoryLocks: false, multiProcess: true });
});

test("sqlite: setup creates the schema once; initialize alone is enough for a zero-config file", async () => {
  const path = freshPath();
  const first = new SqliteBackend({ path });
  expect(await first.migrationStatus()).toEqual([{ version: "0001", name: "sqlite_schema", applied: false }]);
  expect(await first.setup()).toBe(1);
  expect(await first.setup()).toBe(0);
  expect(await first.migrationStatus()).toEqual([{ version: "0001", name: "sqlite_schema", applied: true }]);
  await first.close();

  const other = freshPath();
  const zero = new SqliteBackend({ path: other });
  await zero.initialize();
  await zero.insertJobs([job()]);
  expect(await zero.setup()).toBe(0);
  await zero.close();

  const raw = new Database(other, { readonly: true });
  expect(raw.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
  const tables = raw.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r: any) => r.name);
  expect(tables).toEqual(expect.arrayContaining(["soniq_jobs", "soniq_workers", "soniq_dead_letter_jobs", "soniq_recurring_jobs", "soniq_migrations"]));
  raw.close();
});

test("sqlite: data survives reopening and timestamps are stored as integer milliseconds", async () => {
  const path = freshPath();
  const a = new SqliteBackend({ path });
  const j = job({ scheduledAt: new Date(Date.now() - 1234) });
  await a.insertJobs([j]);
  await a.close();

  const raw = new Database(path, { readonly: true });
  const row = raw.query("SELECT typeof(created_at) AS t, scheduled_at, run_at FROM soniq_jobs WHERE id = ?").get(j.id) as any;
  expect(row).toEqual({ t: "integer", scheduled_at: j.scheduledAt!.getTime(), run_at: j.scheduledAt!.getTime() });
  raw.close();

  const b = new SqliteBackend({ path });
  expect((await b.getJob(j.id))!.scheduledAt!.getTime()).toBe(j.scheduledAt!.getTime());
  await b.close();
});

test("sqlite: an enqueue through one instance wakes listeners of another on the same file", async () => {
  const path = freshPath();
  const producer = new SqliteBackend({ path });
  const consumer = new SqliteBackend({ path: `${dir}/./${path.slice(dir.length + 1)}` }); // same file, other spelling
  const elsewhere = new SqliteBackend({ path: freshPath() });
  const heard: string[] = [];
  const heardElsewhere: string[] = [];
  const stop = await consumer.listen((q) => heard.push(q));
  const stop2 = await elsewhere.listen((q) => heardElsewhere.push(q));
  await producer.insertJobs([job({ queue: "emails" })]);
  await Bun.sleep(5);
  expect(heard).toEqual(["emails"]);
  expect(heardElsewhere).toEqual([]);
  await stop();
  await stop2();
  for (const b of [producer, consumer, elsewhere]) await b.close();
});

test("sqlite: two :memory: backends are separate databases", async () => {
  const a = new SqliteBackend({ path: ":memory:" });
  const b = new SqliteBackend({ path: ":memory:" });
  const heard: string[] = [];
  await b.listen((q) => heard.push(q));
  await a.insertJobs([job()]);
  await Bun.sleep(5);
  expect((await a.getQueueStats()).queued).toBe(1);
  expect((await b.getQueueStats()).queued).toBe(0);
  expect(heard).toEqual([]);
  await a.close();
  await b.close();
});

test("sqlite: the leader lease is shared by instances on the same file", async () => {
  const path = freshPath();
  const a = new SqliteBackend({ path });
  const b = new SqliteBackend({ path });
  let release!: () => void;
  const held = a.withLeaderLock("scheduler", () => new Promise<void>((r) => (release = r)));
  await Bun.sleep(20);
  expect(await b.withLeaderLock("scheduler", async () => {})).toBe(false);
  release();
  expect(await held).toBe(true);
  expect(await b.withLeaderLock("scheduler", async () => {})).toBe(true);
  await a.close();
  await b.close();
});

test("sqlite: a closed backend refuses work", async () => {
  const b = new SqliteBackend({ path: freshPath() });
  await b.initialize();
  await b.close();
  await b.close();
  const error = await b.getQueueStats().catch((e) => e);
  expect(isSoniqError(error, ErrorCodes.APP_CLOSED)).toBe(true);
});

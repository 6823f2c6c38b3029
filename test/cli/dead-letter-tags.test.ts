/**
 * `soniq dead-letter tag`, `--tag key=value` filters and `soniq dead-letter stats [--hours N] [--json]`
 * through the real CLI in a child process, on PostgreSQL and on a SQLite file (memory cannot be
 * shared with a child process).
 */
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Soniq } from "../../src/index.ts";
import { freshDatabase } from "../helpers/db.ts";
import { removeTempDirs, runCli } from "./helpers.ts";

const apps: Soniq[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close().catch(() => {})));
  removeTempDirs();
});

const HOUR = 3_600_000;

interface Store {
  name: "postgres" | "sqlite";
  url(): Promise<string>;
  /** Move a row's moved_to_dead_letter_at `ms` milliseconds back. */
  backdate(url: string, id: string, ms: number): Promise<void>;
  /** Tags written as Python's mark_job_dead_letter writes them (a JSON string holding the object). */
  pythonTags(url: string, id: string, pythonJson: string): Promise<void>;
}

function sqlite(url: string, fn: (db: Database) => void): void {
  const db = new Database(url);
  try {
    db.run("PRAGMA busy_timeout = 5000");
    fn(db);
  } finally {
    db.close();
  }
}

const STORES: Store[] = [
  {
    name: "postgres",
    url: () => freshDatabase(),
    async backdate(url, id, ms) {
      await open(url).sql.unsafe("UPDATE soniq_dead_letter_jobs SET moved_to_dead_letter_at = now() - make_interval(secs => $2::float8) WHERE id = $1::uuid", [id, ms / 1000]);
    },
    async pythonTags(url, id, pythonJson) {
      await open(url).sql.unsafe("UPDATE soniq_dead_letter_jobs SET tags = $2::text::jsonb WHERE id = $1::uuid", [id, JSON.stringify(pythonJson)]);
    },
  },
  {
    name: "sqlite",
    url: async () => {
      const path = join(mkdtempSync(join(tmpdir(), "soniq-cli-tags-")), "soniq.db");
      await open(path).setup();
      return path;
    },
    async backdate(url, id, ms) {
      sqlite(url, (db) => db.query("UPDATE soniq_dead_letter_jobs SET moved_to_dead_letter_at = ? WHERE id = ?").run(Date.now() - ms, id));
    },
    async pythonTags(url, id, pythonJson) {
      sqlite(url, (db) => db.query("UPDATE soniq_dead_letter_jobs SET tags = ? WHERE id = ?").run(JSON.stringify(pythonJson), id));
    },
  },
];

function open(url: string): Soniq {
  const app = new Soniq({ databaseUrl: url, logLevel: "error", pollInterval: 0.05, enqueueValidation: "none" });
  apps.push(app);
  return app;
}

/** `n` dead-letter rows named `name` (job_not_found: a worker with no jobs registered). */
async function deadLetters(url: string, n: number, name = "cli.ghost"): Promise<string[]> {
  const ids = await open(url).enqueueMany(name, Array.from({ length: n }, (_, i) => ({ i })));
  const consumer = new Soniq({ databaseUrl: url, logLevel: "silent" });
  await consumer.runWorker({ runOnce: true });
  await consumer.close();
  return ids;
}

const sorted = (ids: string[]) => [...ids].sort();

describe.each(STORES)("dead-letter tags and stats CLI: $name", (store) => {
  test("tag merges key=value pairs; --tag filters list, export and purge (repeatable); show prints tags", async () => {
    const url = await store.url();
    const env = { SONIQ_DATABASE_URL: url };
    const app = open(url);
    const [a, b, c] = await deadLetters(url, 3);

    const tagged = await runCli(["dead-letter", "tag", a!, "team=billing", "severity=high"], { env });
    expect(tagged.stderr).toBe("");
    expect(tagged.code).toBe(0);
    expect(tagged.stdout).toContain(`Tagged ${a}: `);
    const json = await runCli(["dead-letter", "tag", a!, "team=core", "note=a=b", "--json"], { env });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ id: a!, tags: expect.objectContaining({ team: "core", severity: "high", note: "a=b" }) });
    expect((await app.deadLetter.get(a!))!.tags).toEqual({ team: "core", severity: "high", note: "a=b" });
    expect((await runCli(["dead-letter", "tag", b!, "team=core"], { env })).code).toBe(0);
    await app.deadLetter.addTags(c!, { team: "search", attempt: 3 });

    const list = async (...args: string[]) => {
      const r = await runCli(["dead-letter", "list", "--json", ...args], { env });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      return sorted(JSON.parse(r.stdout).map((row: { id: string }) => row.id));
    };
    expect(await list("--tag", "team=core")).toEqual(sorted([a!, b!]));
    expect(await list("--tag", "team=core", "--tag", "severity=high")).toEqual([a!]);
    expect(await list("--tag=team=core", "--queue", "default", "--tag", "severity=high")).toEqual([a!]);
    expect(await list("--tag", "attempt=3")).toEqual([c!]); // CLI values are text; a number tag matches its text
    expect(await list("--tag", "team=nobody")).toEqual([]);

    const show = await runCli(["dead-letter", "show", a!], { env });
    const tagsLine = show.stdout.split("\n").find((l) => l.startsWith("tags:"))!;
    for (const pair of ["team=core", "severity=high", "note=a=b"]) expect(tagsLine).toContain(pair); // key order is the store's

    const exported = await runCli(["dead-letter", "export", "--format", "json", "--tag", "team=search"], { env });
    expect(JSON.parse(exported.stdout).map((r: { id: string }) => r.id)).toEqual([c!]);

    const dry = await runCli(["dead-letter", "purge", "--tag", "team=core", "--dry-run"], { env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("Would purge 2 dead-letter jobs");
    const purge = await runCli(["dead-letter", "purge", "--tag", "team=core", "--tag", "severity=high", "--yes"], { env });
    expect(purge.code).toBe(0);
    expect(purge.stdout).toContain("Purged 1 dead-letter job");
    expect(sorted((await app.deadLetter.list()).map((r) => r.id))).toEqual(sorted([b!, c!]));
  });

  test("tags Python wrote show and filter; tag merges into them", async () => {
    const url = await store.url();
    const env = { SONIQ_DATABASE_URL: url };
    const [a, b] = await deadLetters(url, 2);
    await store.pythonTags(url, a!, '{"source": "python", "n": 1}');
    const list = await runCli(["dead-letter", "list", "--json", "--tag", "source=python", "--tag", "n=1"], { env });
    expect(JSON.parse(list.stdout).map((r: { id: string; tags: unknown }) => [r.id, r.tags])).toEqual([[a!, { source: "python", n: 1 }]]);
    expect((await runCli(["dead-letter", "tag", a!, "triaged=yes"], { env })).code).toBe(0);
    expect((await open(url).deadLetter.get(a!))!.tags).toEqual({ source: "python", n: 1, triaged: "yes" });
    expect((await open(url).deadLetter.get(b!))!.tags).toBeNull();
  });

  test("stats [--hours N] [--json]: totals, replay rate, last 7 days by UTC day", async () => {
    const url = await store.url();
    const env = { SONIQ_DATABASE_URL: url };
    const app = open(url);
    const [a, b, old] = await deadLetters(url, 3);
    await store.backdate(url, old!, 48 * HOUR);
    expect(await app.deadLetter.replay(a!)).not.toBeNull();

    const all = await runCli(["dead-letter", "stats", "--json"], { env });
    expect(all.stderr).toBe("");
    expect(all.code).toBe(0);
    const s = JSON.parse(all.stdout);
    expect(s).toMatchObject({ total: 3, byJobName: { "cli.ghost": 3 }, byReason: { job_not_found: 3 }, resurrectedCount: 1 });
    expect(s.resurrectionSuccessRate).toBeCloseTo(100 / 3, 10);
    const day = async (id: string) => (await app.deadLetter.get(id))!.movedAt.toISOString().slice(0, 10);
    const expected: Record<string, number> = {};
    for (const id of [a!, b!, old!]) expected[await day(id)] = (expected[await day(id)] ?? 0) + 1;
    expect(s.byDate).toEqual(expected);

    const recent = JSON.parse((await runCli(["dead-letter", "stats", "--hours", "24", "--json"], { env })).stdout);
    expect(recent).toMatchObject({ total: 2, resurrectedCount: 1, resurrectionSuccessRate: 50, byDate: expected });
    expect(JSON.parse((await runCli(["dead-letter", "stats", "--hours", "0.5", "--json"], { env })).stdout).total).toBe(2);

    const human = await runCli(["dead-letter", "stats", "--hours", "24"], { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("dead-letter jobs: 2 (moved in the last 24 hours)");
    expect(human.stdout).toContain("replayed:         1 (50.0%)");
    expect(human.stdout).toContain("job_not_found");
    expect(human.stdout).toContain(await day(old!));
  });

  test("bad input: usage errors exit 2, refused values and unknown ids exit 1, nothing written", async () => {
    const url = await store.url();
    const env = { SONIQ_DATABASE_URL: url };
    const app = open(url);
    const [a] = await deadLetters(url, 1);
    await app.deadLetter.addTags(a!, { keep: "me" });

    for (const args of [
      ["dead-letter", "tag", a!],
      ["dead-letter", "tag", a!, "novalue"],
      ["dead-letter", "tag", a!, "=x"],
      ["dead-letter", "tag", a!, "k="],
      ["dead-letter", "tag", a!, "k=1", "k=2"],
      ["dead-letter", "list", "--tag"],
      ["dead-letter", "list", "--tag", "team"],
      ["dead-letter", "purge", "--tag", "=x", "--yes"],
      ["dead-letter", "delete", a!, "--tag", "keep=me"],
      ["dead-letter", "stats", "--hours", "0"],
      ["dead-letter", "stats", "--hours", "-1"],
      ["dead-letter", "stats", "--hours", "abc"],
      ["dead-letter", "stats", "--hours", "1000001"],
    ]) {
      const r = await runCli(args, { env });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
    }
    const tooLong = await runCli(["dead-letter", "tag", a!, `k=${"x".repeat(1001)}`], { env });
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain("SONIQ_INVALID_ARGUMENT");
    const missing = await runCli(["dead-letter", "tag", "00000000-0000-0000-0000-000000000000", "k=v"], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("not found");
    expect((await app.deadLetter.get(a!))!.tags).toEqual({ keep: "me" });
    expect(await app.deadLetter.count()).toBe(1);
  });
});

/**
 * Dead-letter tags and statistics as Python users rely on them (issue 15), through the public API on
 * every backend: `app.deadLetter.addTags`, the `tags` filter of list/count/purge, rows Python tagged
 * (a double-encoded JSON string), and `stats({ hours })` with `byDate` and `resurrectionSuccessRate`.
 * Only the setup the API cannot do (backdating a row, writing tags the way Python does) goes to
 * storage directly.
 */
import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { Soniq, SoniqError } from "../../src/index.ts";
import { BACKENDS, contractApp, type BackendCase } from "./backends.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MISSING = "00000000-0000-0000-0000-000000000000";

/** Storage-level setup and inspection per backend. */
interface Raw {
  /** Move the row's `moved_to_dead_letter_at` to `ms` milliseconds ago. */
  backdate(id: string, ms: number): Promise<void>;
  /** Write tags the way Python's mark_job_dead_letter does: `json.dumps(tags)` through the JSONB codec. */
  pythonTags(id: string, pythonJson: string): Promise<void>;
  /** The JSON type of the stored tags value ("object", "string"/"text", or null). */
  storedType(id: string): Promise<string | null>;
}

function raw(backend: BackendCase, app: Soniq): Raw {
  if (backend.name === "postgres") {
    return {
      async backdate(id, ms) {
        await app.sql.unsafe("UPDATE soniq_dead_letter_jobs SET moved_to_dead_letter_at = now() - make_interval(secs => $2::float8) WHERE id = $1::uuid", [id, ms / 1000]);
      },
      async pythonTags(id, pythonJson) {
        // asyncpg's JSONB codec json.dumps() the already-dumped string: the jsonb value is a string.
        await app.sql.unsafe("UPDATE soniq_dead_letter_jobs SET tags = $2::text::jsonb WHERE id = $1::uuid", [id, JSON.stringify(pythonJson)]);
      },
      async storedType(id) {
        const [row] = await app.sql.unsafe("SELECT jsonb_typeof(tags) AS t FROM soniq_dead_letter_jobs WHERE id = $1::uuid", [id]);
        return row?.t ?? null;
      },
    };
  }
  if (backend.name === "sqlite") {
    const withDb = <T>(fn: (db: Database) => T): T => {
      const db = new Database(app.settings.databaseUrl!);
      try {
        db.run("PRAGMA busy_timeout = 5000");
        return fn(db);
      } finally {
        db.close();
      }
    };
    return {
      async backdate(id, ms) {
        withDb((db) => db.query("UPDATE soniq_dead_letter_jobs SET moved_to_dead_letter_at = ? WHERE id = ?").run(Date.now() - ms, id));
      },
      async pythonTags(id, pythonJson) {
        withDb((db) => db.query("UPDATE soniq_dead_letter_jobs SET tags = ? WHERE id = ?").run(JSON.stringify(pythonJson), id));
      },
      async storedType(id) {
        return withDb((db) => (db.query("SELECT json_type(tags) AS t FROM soniq_dead_letter_jobs WHERE id = ?").get(id) as { t: string | null } | null)?.t ?? null);
      },
    };
  }
  // The memory backend has no SQL: its rows are plain objects.
  const row = (id: string) => (app.backend as any).deadLetters.get(id) as { movedAt: number; tagsJson: string | null };
  return {
    async backdate(id, ms) {
      row(id).movedAt = Date.now() - ms;
    },
    async pythonTags(id, pythonJson) {
      row(id).tagsJson = JSON.stringify(pythonJson);
    },
    async storedType(id) {
      const text = row(id).tagsJson;
      if (text === null) return null;
      const value = JSON.parse(text);
      return typeof value === "string" ? "string" : Array.isArray(value) ? "array" : typeof value;
    },
  };
}

/** `n` dead-letter rows of `name` in `queue` (a handler that always fails, no retries). Returns their ids. */
async function deadRows(app: Soniq, n: number, name = "tags.fail", queue = "default"): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await app.enqueue(name, { i }, { queue }));
  await app.runWorker({ runOnce: true, queues: [queue] });
  for (const id of ids) expect(await app.deadLetter.get(id)).not.toBeNull();
  return ids;
}

function registerFailing(app: Soniq, ...names: string[]): void {
  for (const name of names) {
    app.job({ name, retries: 0 }, async () => {
      throw new Error("always fails");
    });
  }
}

const sorted = (ids: string[]) => [...ids].sort();

async function expectInvalid(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SoniqError);
  expect((error as SoniqError).code).toBe("SONIQ_INVALID_ARGUMENT");
}

describe.each(BACKENDS)("dead-letter tags and stats: $name", (backend) => {
  let app: Soniq;
  afterEach(async () => {
    await app?.close();
  });

  test("addTags merges into the row's tags; false for a missing row", async () => {
    app = await contractApp(backend);
    registerFailing(app, "tags.fail");
    const [a] = await deadRows(app, 1);
    expect((await app.deadLetter.get(a!))!.tags).toBeNull();

    expect(await app.deadLetter.addTags(a!, { team: "billing", attempt: 3 })).toBe(true);
    expect(await app.deadLetter.addTags(a!, { severity: "high", retryable: false })).toBe(true);
    expect(await app.deadLetter.addTags(a!, { team: "core" })).toBe(true); // a later value wins
    expect((await app.deadLetter.get(a!))!.tags).toEqual({ team: "core", attempt: 3, severity: "high", retryable: false });
    expect((await app.deadLetter.list())[0]!.tags).toEqual({ team: "core", attempt: 3, severity: "high", retryable: false });
    expect(await raw(backend, app).storedType(a!)).toBe("object");

    expect(await app.deadLetter.addTags(MISSING, { team: "x" })).toBe(false);
    expect(await app.deadLetter.addTags("not-a-uuid", { team: "x" })).toBe(false);
  });

  test("list, count and purge filter by tags (every pair, compared as text); CSV export carries them", async () => {
    app = await contractApp(backend);
    registerFailing(app, "tags.fail", "tags.other");
    const [a, b] = await deadRows(app, 2);
    const [c] = await deadRows(app, 1, "tags.other", "other");
    await app.deadLetter.addTags(a!, { team: "billing", attempt: 3, severity: "high" });
    await app.deadLetter.addTags(b!, { team: "billing", flaky: true });
    await app.deadLetter.addTags(c!, { team: "search", note: "it's \"quoted\"; DROP TABLE soniq_jobs; --" });

    const ids = async (tags: Record<string, string | number | boolean>, extra = {}) => sorted((await app.deadLetter.list({ tags, ...extra })).map((r) => r.id));
    expect(await ids({ team: "billing" })).toEqual(sorted([a!, b!]));
    expect(await ids({ team: "billing", attempt: 3 })).toEqual([a!]);
    expect(await ids({ attempt: "3" })).toEqual([a!]); // text comparison, as Python's tags ->> key = value
    expect(await ids({ flaky: true })).toEqual([b!]);
    expect(await ids({ flaky: "true" })).toEqual([b!]);
    expect(await ids({ note: "it's \"quoted\"; DROP TABLE soniq_jobs; --" })).toEqual([c!]);
    expect(await ids({ team: "billing", severity: "low" })).toEqual([]);
    expect(await ids({ nothere: "x" })).toEqual([]);
    expect(await ids({})).toEqual(sorted([a!, b!, c!])); // no pairs: no tag filter
    expect(await ids({ team: "billing" }, { limit: 1 })).toHaveLength(1);
    expect(await ids({ team: "search" }, { queues: ["default"] })).toEqual([]);
    expect(await ids({ team: "search" }, { jobNames: ["tags.other"] })).toEqual([c!]);

    expect(await app.deadLetter.count({ tags: { team: "billing" } })).toBe(2);
    expect(await app.deadLetter.count({ tags: { team: "nobody" } })).toBe(0);

    const csv = await app.deadLetter.export({ tags: { team: "search" } }, "csv");
    expect(csv.split("\n")[0]!.endsWith(",tags")).toBe(true);
    expect(csv).toContain(c!);
    expect(csv).not.toContain(a!);
    expect(csv).toContain('""team"":""search""'); // the tags column: JSON, CSV-quoted (key order is the store's)
    expect(JSON.parse(await app.deadLetter.export({ tags: { flaky: true } }, "json")).map((r: { id: string }) => r.id)).toEqual([b!]);

    expect(await app.deadLetter.purge({ tags: { severity: "high" } })).toBe(1);
    expect(await app.deadLetter.get(a!)).toBeNull();
    expect(await app.deadLetter.purge({ tags: { team: "billing", flaky: false } })).toBe(0);
    expect(await app.deadLetter.count()).toBe(2);
    expect(await app.deadLetter.replayMany({ tags: { team: "search" } })).toHaveLength(1);
    expect((await app.deadLetter.get(c!))!.resurrectionCount).toBe(1);
  });

  test("tags Python wrote (a JSON string holding the object) show, filter and merge like ours", async () => {
    app = await contractApp(backend);
    registerFailing(app, "tags.fail");
    const [a, b] = await deadRows(app, 2);
    const r = raw(backend, app);
    // Python: json.dumps({"source": "python", "n": 1}) passed to a JSONB parameter with a json.dumps codec.
    await r.pythonTags(a!, '{"source": "python", "n": 1}');
    await r.pythonTags(b!, '{"source": "other"}');
    expect(await r.storedType(a!)).toBe(backend.name === "sqlite" ? "text" : "string");

    expect((await app.deadLetter.get(a!))!.tags).toEqual({ source: "python", n: 1 });
    expect((await app.deadLetter.list({ tags: { source: "python" } })).map((d) => d.id)).toEqual([a!]);
    expect(await app.deadLetter.count({ tags: { n: 1 } })).toBe(1);
    expect(await app.deadLetter.count({ tags: { n: "1", source: "python" } })).toBe(1);

    expect(await app.deadLetter.addTags(a!, { triaged: "yes" })).toBe(true);
    expect((await app.deadLetter.get(a!))!.tags).toEqual({ source: "python", n: 1, triaged: "yes" });
    expect(await r.storedType(a!)).toBe("object"); // written back as an object, as Python's own add_tags_to_job does
    expect((await app.deadLetter.list({ tags: { source: "python", triaged: "yes" } })).map((d) => d.id)).toEqual([a!]);

    expect(await app.deadLetter.purge({ tags: { source: "other" } })).toBe(1);
    expect(await app.deadLetter.get(b!)).toBeNull();
  });

  test("stats: byDate (last 7 days, UTC), resurrectionSuccessRate (percent) and an hours window", async () => {
    app = await contractApp(backend);
    registerFailing(app, "tags.fail", "tags.other");
    expect(await app.deadLetter.stats({ hours: 1 })).toEqual({
      total: 0,
      byJobName: {},
      byQueue: {},
      byReason: {},
      oldestAgeHours: null,
      resurrectedCount: 0,
      resurrectionSuccessRate: 0,
      byDate: {},
    });

    const [fresh1, fresh2] = await deadRows(app, 2);
    const [threeDays] = await deadRows(app, 1, "tags.other", "other");
    const [tenDays] = await deadRows(app, 1);
    const r = raw(backend, app);
    await r.backdate(threeDays!, 3 * DAY);
    await r.backdate(tenDays!, 10 * DAY);
    expect(await app.deadLetter.replay(fresh1!)).not.toBeNull();

    const day = async (id: string) => (await app.deadLetter.get(id))!.movedAt.toISOString().slice(0, 10);
    const byDate: Record<string, number> = {};
    for (const id of [fresh1!, fresh2!, threeDays!]) byDate[await day(id)] = (byDate[await day(id)] ?? 0) + 1;

    const all = await app.deadLetter.stats();
    expect(all).toMatchObject({
      total: 4,
      byJobName: { "tags.fail": 3, "tags.other": 1 },
      byQueue: { default: 3, other: 1 },
      byReason: { max_retries_exceeded: 4 },
      resurrectedCount: 1,
      resurrectionSuccessRate: 25,
      byDate,
    });
    expect(all.oldestAgeHours!).toBeGreaterThan(10 * 24 - 0.1);
    expect(Object.keys(all.byDate).every((d) => /^\d{4}-\d{2}-\d{2}$/.test(d))).toBe(true);
    expect(all.byDate[(await day(tenDays!))]).toBeUndefined();

    const lastHour = await app.deadLetter.stats({ hours: 1 });
    expect(lastHour).toMatchObject({
      total: 2,
      byJobName: { "tags.fail": 2 },
      byQueue: { default: 2 },
      resurrectedCount: 1,
      resurrectionSuccessRate: 50,
      byDate, // not narrowed by hours, as Python
    });
    expect(lastHour.oldestAgeHours!).toBeLessThan(1);

    const lastFiveDays = await app.deadLetter.stats({ hours: 5 * 24 });
    expect(lastFiveDays).toMatchObject({ total: 3, byQueue: { default: 2, other: 1 } });
    expect(lastFiveDays.resurrectionSuccessRate).toBeCloseTo(100 / 3, 10);
    expect((await app.deadLetter.stats({ hours: 0.5 })).total).toBe(2);
  });

  test("bad tags and hours are refused with SONIQ_INVALID_ARGUMENT and write nothing", async () => {
    app = await contractApp(backend);
    registerFailing(app, "tags.fail");
    const [a] = await deadRows(app, 1);
    await app.deadLetter.addTags(a!, { keep: "me" });

    const badTags: unknown[] = [
      {},
      null,
      "team=billing",
      ["team", "billing"],
      new Map([["team", "billing"]]),
      { "": "empty key" },
      { ["k".repeat(201)]: "long key" },
      { team: "" },
      { team: "x".repeat(1001) },
      { team: null },
      { team: undefined },
      { team: Number.NaN },
      { team: Number.POSITIVE_INFINITY },
      { team: { nested: 1 } },
      { team: ["a"] },
      { team: 10n },
      { team: "nul\u0000" },
      { "nul\u0000": "x" },
      { team: "lone \ud83d surrogate" },
      { ok: "fine", bad: "" },
    ];
    for (const tags of badTags) {
      await expectInvalid(app.deadLetter.addTags(a!, tags as any));
      await expectInvalid(app.deadLetter.addTags(MISSING, tags as any));
    }
    await expectInvalid(app.deadLetter.addTags(undefined as any, { team: "x" }));
    await expectInvalid(app.deadLetter.addTags("", { team: "x" }));
    await expectInvalid(app.deadLetter.addTags(42 as any, { team: "x" }));
    expect((await app.deadLetter.get(a!))!.tags).toEqual({ keep: "me" });

    for (const tags of badTags.filter((t) => !(t && typeof t === "object" && !Array.isArray(t) && Object.keys(t).length === 0))) {
      await expectInvalid(app.deadLetter.list({ tags: tags as any }));
      await expectInvalid(app.deadLetter.count({ tags: tags as any }));
      await expectInvalid(app.deadLetter.purge({ tags: tags as any }));
      await expectInvalid(app.deadLetter.replayMany({ tags: tags as any }));
    }
    expect(await app.deadLetter.count()).toBe(1);
    expect((await app.deadLetter.get(a!))!.resurrectionCount).toBe(0);

    for (const hours of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1_000_001, "24", null, true]) {
      await expectInvalid(app.deadLetter.stats({ hours: hours as any }));
    }
    await expectInvalid(app.deadLetter.stats(24 as any));
    await expectInvalid(app.deadLetter.stats(null as any));
    expect((await app.deadLetter.stats({ hours: 1_000_000 })).total).toBe(1);
  });
});

/**
 * Bad input never crashes the process and never writes a row: every rejection is a SoniqError
 * with a stable code. SQL in names and args is data, never code. Args are never logged.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Soniq, SoniqError } from "../../src/index.ts";
import { BACKENDS, contractApp } from "./backends.ts";

const SQLISH = ["'; DROP TABLE soniq_jobs; --", "\" OR 1=1 --", "$1", "\\x00", "queue'||pg_sleep(1)||'", "🙂‍↔️"];
const UNSTORABLE = ["\u0000nul", "lone \ud83d surrogate"];

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

function randomValue(r: () => number, depth = 0): unknown {
  const pick = Math.floor(r() * 16);
  switch (pick) {
    case 0: return SQLISH[Math.floor(r() * SQLISH.length)];
    case 1: return Math.floor(r() * 2e9) - 1e9;
    case 2: return r() < 0.5 ? Number.NaN : Number.POSITIVE_INFINITY;
    case 3: return null;
    case 4: return undefined;
    case 5: return () => 1;
    case 6: return 10n;
    case 7: return Symbol("s");
    case 8: return new Date(r() < 0.5 ? Number.NaN : Date.now());
    case 9: return depth < 3 ? Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1)) : [];
    case 10: return depth < 3 ? Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, (_, i) => [`k${i}`, randomValue(r, depth + 1)])) : {};
    case 11: return r() * 5000 - 2000;
    case 12: return "x".repeat(Math.floor(r() * 3000));
    case 13: return true;
    case 14: return "";
    default: return "ok";
  }
}

describe.each(BACKENDS)("bad input: $name", (backend) => {
  let app: Soniq;
  afterEach(async () => {
    await app?.close();
  });

  test("random targets, args and options: a job id or a SoniqError, never anything else", async () => {
    app = await contractApp(backend, { maxArgsBytes: 2048, enqueueValidation: "strict" });
    app.job({ name: "fuzz.job" }, async () => {});
    const accepted = new Set<string>();
    let rejected = 0;
    for (const seed of [42, 7919, 31337, 99991, 123457]) {
      const r = rng(seed);
      for (let i = 0; i < 200; i++) {
        const target = r() < 0.7 ? "fuzz.job" : randomValue(r);
        const args = r() < 0.5 ? { a: randomValue(r), b: randomValue(r) } : randomValue(r);
        const options = r() < 0.5 ? {} : { [["priority", "queue", "scheduledAt", "unique", "dedupKey", "bogus"][Math.floor(r() * 6)]!]: randomValue(r) };
        try {
          const id = await app.enqueue(target as string, args as never, options as never);
          expect(typeof id).toBe("string");
          accepted.add(id);
        } catch (error) {
          if (!(error instanceof SoniqError)) throw new Error(`non-Soniq error for ${String(target)}: ${error}`);
          rejected++;
        }
      }
    }
    expect(accepted.size).toBeGreaterThan(10);
    expect(rejected).toBeGreaterThan(10);
    expect((await app.getQueueStats()).total).toBe(accepted.size);
  });

  test("SQL in queue names, task names and args is stored and returned verbatim", async () => {
    app = await contractApp(backend, { enqueueValidation: "none" });
    const echo = app.job({ name: "fuzz.echo" }, async (args: Record<string, unknown>) => args);
    for (const evil of SQLISH) {
      const id = await app.enqueue(echo, { evil, nested: { evil } }, { queue: evil, dedupKey: `${evil}-key` });
      expect((await app.getJob(id))!.args).toEqual({ evil, nested: { evil } });
    }
    await app.runWorker({ runOnce: true });
    expect((await app.getQueueStats()).done).toBe(SQLISH.length);
    expect(await app.listJobs({ queue: "'; DROP TABLE soniq_jobs; --" })).toHaveLength(1);
    for (const bad of UNSTORABLE) {
      await expect(app.enqueue(echo, { bad })).rejects.toMatchObject({ code: "SONIQ_NOT_SERIALIZABLE" });
      await expect(app.enqueue(echo, { [bad]: 1 })).rejects.toMatchObject({ code: "SONIQ_NOT_SERIALIZABLE" });
      await expect(app.enqueue(echo, {}, { queue: bad })).rejects.toMatchObject({ code: "SONIQ_INVALID_ARGUMENT" });
      await expect(app.enqueue(echo, {}, { dedupKey: bad })).rejects.toMatchObject({ code: "SONIQ_INVALID_ARGUMENT" });
    }
    expect((await app.getQueueStats()).total).toBe(SQLISH.length);
  });

  test("job args are never logged, even when the job fails", async () => {
    const lines: string[] = [];
    app = await contractApp(backend, { logLevel: "debug", logSink: (l) => lines.push(l) });
    const job = app.job({ name: "fuzz.secret", retries: 0 }, async () => {
      throw new Error("failed");
    });
    await app.enqueue(job, { password: "hunter2-secret" });
    await app.runWorker({ runOnce: true });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("\n")).not.toContain("hunter2-secret");
  });
});

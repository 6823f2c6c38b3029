import { describe, expect, test } from "bun:test";
import { computeArgsHash, computeRetryDelay, ErrorCodes, isSoniqApp, resolveSettings, Soniq, SoniqError, Type, taskRef } from "../../src/index.ts";
import { pythonJsonDumps } from "../../src/core/hashing.ts";

describe("args_hash matches Python's json.dumps(sort_keys=True, separators=(',', ':'))", () => {
  // Vectors computed with CPython 3.11 hashlib/json.
  test.each([
    [{ user_id: 42 }, '{"user_id":42}', "feaa769a39ae2d192c6a67579b8ecffa7a2c836435a73e2260a7664ebf8d509d"],
    [{ b: 1, a: "é", c: [1, { z: null, y: true }] }, '{"a":"\\u00e9","b":1,"c":[1,{"y":true,"z":null}]}', "82c20e03d1634ba0a80ec638d31fafa69c1cf279ef6a304aea6d8572edfcdf05"],
    [{ msg: 'line\nbreak "q" \\ \u007f 😀' }, '{"msg":"line\\nbreak \\"q\\" \\\\ \\u007f \\ud83d\\ude00"}', "9131cf04902b0c2f71a3c7c4f64a69ab9da10d237ce7d3fca27943c14ca6e44d"],
  ])("%j", (args, json, hash) => {
    expect(pythonJsonDumps(args)).toBe(json);
    expect(computeArgsHash(args as Record<string, unknown>)).toBe(hash);
  });
});

describe("retry delays", () => {
  test("a list reuses its last value", () => {
    expect([1, 2, 3, 4, 5].map((n) => computeRetryDelay(n, { retryDelay: [1, 5, 30] }))).toEqual([1, 5, 30, 30, 30]);
  });
  test("backoff doubles, the cap applies, jitter off", () => {
    const o = { retryDelay: 10, retryBackoff: true, retryJitter: false };
    expect([1, 2, 3].map((n) => computeRetryDelay(n, o))).toEqual([10, 20, 40]);
    expect([1, 2, 3].map((n) => computeRetryDelay(n, { ...o, retryMaxDelay: 15 }))).toEqual([10, 15, 15]);
  });
  test("backoff from a zero base starts at 1 s", () => {
    expect(computeRetryDelay(3, { retryBackoff: true, retryJitter: false })).toBe(4);
  });
  test("jitter stays within [d/2, d]", () => {
    for (let i = 0; i < 500; i++) {
      const d = computeRetryDelay(3, { retryDelay: 10, retryBackoff: true });
      expect(d).toBeGreaterThanOrEqual(20);
      expect(d).toBeLessThanOrEqual(40);
    }
    expect(computeRetryDelay(1, { retryDelay: 10, retryBackoff: true }, () => 0)).toBe(5);
    expect(computeRetryDelay(1, { retryDelay: 10, retryBackoff: true }, () => 0.999999)).toBeCloseTo(10, 4);
  });
  test("jitter is ignored without backoff; default is no delay", () => {
    expect(computeRetryDelay(2, { retryDelay: 7 })).toBe(7);
    expect(computeRetryDelay(2, {})).toBe(0);
  });
});

describe("settings", () => {
  test("defaults follow the seeds", () => {
    const s = resolveSettings({}, {});
    expect(s).toMatchObject({ concurrency: 4, pollInterval: 5, heartbeatInterval: 5, heartbeatTimeout: 300, cleanupInterval: 300, errorRetryDelay: 5, jobTimeout: 300, resultTtl: 300, enqueueValidation: "strict", shutdownTimeout: 30, maxRetries: 3 });
  });
  test("SONIQ_* env vars are parsed; options beat env", () => {
    const env = { SONIQ_CONCURRENCY: "8", SONIQ_QUEUES: "a, b", SONIQ_ENQUEUE_VALIDATION: "WARN", SONIQ_LISTEN: "off", SONIQ_POLL_INTERVAL: "0.5" };
    expect(resolveSettings({}, env)).toMatchObject({ concurrency: 8, queues: ["a", "b"], enqueueValidation: "warn", listen: false, pollInterval: 0.5 });
    expect(resolveSettings({ concurrency: 2 }, env).concurrency).toBe(2);
  });
  test.each([
    [{ SONIQ_CONCURRENCY: "abc" }, "SONIQ_CONCURRENCY"],
    [{ SONIQ_CONCURRENCY: "0" }, "SONIQ_CONCURRENCY"],
    [{ SONIQ_POLL_INTERVAL: "-1" }, "SONIQ_POLL_INTERVAL"],
    [{ SONIQ_ENQUEUE_VALIDATION: "sometimes" }, "SONIQ_ENQUEUE_VALIDATION"],
    [{ SONIQ_LISTEN: "maybe" }, "SONIQ_LISTEN"],
    [{ SONIQ_TASK_NAME_PATTERN: "([" }, "SONIQ_TASK_NAME_PATTERN"],
  ])("bad env %j names the variable", (env, name) => {
    try {
      resolveSettings({}, env);
      throw new Error("expected a throw");
    } catch (e) {
      expect(e).toBeInstanceOf(SoniqError);
      expect((e as SoniqError).code).toBe(ErrorCodes.INVALID_SETTING);
      expect((e as SoniqError).message).toContain(name);
    }
  });
  test("a trailing slash after the database name is not part of the name", async () => {
    const app = new Soniq({ databaseUrl: "postgres://u:p@localhost:5432/mydb/" });
    expect((app.sql.options as { database: string }).database).toBe("mydb");
    await app.close();
  });
  test("unknown options and bad URLs are refused", () => {
    expect(() => new Soniq({ concurency: 3 } as never)).toThrow(/unknown option "concurency"/);
    expect(() => new Soniq({ databaseUrl: "mysql://x/y" }).backend).toThrow(SoniqError);
    expect(() => new Soniq({ databaseUrl: "postgres://" }).backend).toThrow(/not a valid PostgreSQL URL/);
  });
});

describe("job registration", () => {
  const app = new Soniq({ databaseUrl: "memory:" });
  test("names are derived from module and function, in snake_case", () => {
    const handle = app.job(async function sendWelcome() {});
    expect(handle.name).toBe("core.test.send_welcome");
  });
  test("explicit names must match the pattern", () => {
    for (const bad of ["Bad", "bad name", ".x", "x.", "1x", "a-b", ""]) {
      expect(() => app.job({ name: bad }, async () => {})).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_TASK_NAME }));
    }
    expect(app.job({ name: "billing.invoices.send_v2" }, async () => {}).name).toBe("billing.invoices.send_v2");
  });
  test("anonymous handlers need a name", () => {
    expect(() => app.job({}, (() => async () => {})())).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_TASK_NAME }));
  });
  test("option bounds and unknown options", () => {
    expect(() => app.job({ name: "a.b", priority: 0 }, async () => {})).toThrow(/priority/);
    expect(() => app.job({ name: "a.b", priority: 1001 }, async () => {})).toThrow(/priority/);
    expect(() => app.job({ name: "a.b", retries: -1 }, async () => {})).toThrow(/retries/);
    expect(() => app.job({ name: "a.b", retryDelay: [1, -2] }, async () => {})).toThrow(/retryDelay/);
    expect(() => app.job({ name: "a.b", colour: "red" } as never, async () => {})).toThrow(/unknown job option/);
  });
  test("maxRetries aliases retries; argsModel aliases validate", () => {
    const h = app.job({ name: "alias.job", retries: 1, maxRetries: 5, argsModel: Type.Object({ n: Type.Number() }) }, async ({ n }) => n * 2);
    expect(h.options.retries).toBe(5);
    expect(h.options.schema).toBeDefined();
  });
  test("a handle runs its handler directly", async () => {
    const h = app.job({ name: "direct.add", validate: Type.Object({ a: Type.Number(), b: Type.Number() }) }, async ({ a, b }) => a + b);
    expect(await h.run({ a: 2, b: 3 })).toBe(5);
  });
  test("isSoniqApp recognises apps by a global brand, not by class identity", () => {
    expect(isSoniqApp(app)).toBe(true);
    expect(isSoniqApp({ [Symbol.for("soniq.app")]: true })).toBe(true); // another copy of the library
    expect(isSoniqApp({})).toBe(false);
    expect(isSoniqApp(null)).toBe(false);
  });
  test("taskRef validates its name", () => {
    expect(() => taskRef("Bad.Name")).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_TASK_NAME }));
    const ref = taskRef("billing.send", Type.Object({ id: Type.String() })).withDefaultQueue("billing");
    expect(ref.defaultQueue).toBe("billing");
  });
});

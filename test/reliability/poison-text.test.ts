/**
 * Text PostgreSQL cannot store (NUL, lone surrogates) and huge text, thrown as errors and returned
 * as results, on all three backends: the bad job ends with a clear, storable record and every
 * other job in the same run completes. (On PostgreSQL this used to wedge the worker: the batched
 * outcome statement was refused and re-sent forever.)
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Soniq } from "../../src/index.ts";
import { BACKENDS, contractApp } from "../contract/backends.ts";

const HEALTHY = 20;
const pair = "\u{1F600}"; // one code point, two UTF-16 units
const poisons: Record<string, string> = {
  nul: "a\u0000b",
  "lone high surrogate": "x\uD800y",
  "lone low surrogate": "x\uDC00y",
  "300 kB cut inside a surrogate pair": "e".repeat(8191) + pair + pair.repeat(150_000).slice(1),
};

/** A reproducible stream of awkward strings: NUL, lone surrogates, pairs, and up to 1 MB. */
function randomText(seed: number): string {
  let x = seed * 2654435761;
  const next = () => ((x = (x * 1103515245 + 12345) >>> 0) % 1000) / 1000;
  const pieces = ["\u0000", "\uD800", "\uDFFF", pair, "é", "\u202E", "'; DROP TABLE soniq_jobs; --", "\\u0000", "ok"];
  let text = "";
  const length = Math.floor(next() * 40);
  for (let i = 0; i < length; i++) text += pieces[Math.floor(next() * pieces.length)];
  if (next() < 0.1) text += "z".repeat(1_000_000);
  return text;
}

let app: Soniq | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe.each(BACKENDS)("unstorable text in outcomes: $name", (backend) => {
  test("errors with NUL, lone surrogates or 300 kB are recorded safely; the other jobs complete", async () => {
    app = await contractApp(backend);
    const healthy = app.job({ name: "poison.healthy" }, async ({ i }: { i: number }) => ({ i }));
    const thrower = app.job({ name: "poison.thrower", retries: 0 }, async ({ kind }: { kind: string }) => {
      throw new Error(poisons[kind]!);
    });
    const ids = await app.enqueueMany(healthy, Array.from({ length: HEALTHY }, (_, i) => ({ i })));
    const bad = new Map<string, string>();
    for (const kind of Object.keys(poisons)) bad.set(await app.enqueue(thrower, { kind }), kind);

    const summary = await app.runWorker({ runOnce: true, concurrency: 8 });
    expect(summary).toMatchObject({ succeeded: HEALTHY, deadLettered: bad.size });
    for (const id of ids) expect(await app.getJobStatus(id)).toMatchObject({ status: "done" });
    for (const [id, kind] of bad) {
      const dead = (await app.deadLetter.get(id))!;
      expect(dead.reason).toBe("max_retries_exceeded");
      expect(dead.lastError!.includes("\u0000")).toBe(false);
      expect(dead.lastError!.isWellFormed()).toBe(true);
      expect(dead.lastError!.length).toBeLessThanOrEqual(8192);
      if (kind === "nul") expect(dead.lastError).toContain("a\uFFFDb");
    }
  });

  test("results that cannot be stored fail the attempt with a coded error; the other jobs complete", async () => {
    app = await contractApp(backend);
    const healthy = app.job({ name: "poison.healthy_result" }, async ({ i }: { i: number }) => ({ i }));
    const returner = app.job({ name: "poison.returner", retries: 0 }, async ({ kind }: { kind: string }) => ({ text: poisons[kind] }));
    const ids = await app.enqueueMany(healthy, Array.from({ length: HEALTHY }, (_, i) => ({ i })));
    const nul = await app.enqueue(returner, { kind: "nul" });
    const cut = await app.enqueue(returner, { kind: "300 kB cut inside a surrogate pair" });
    const megabyte = app.job({ name: "poison.megabyte" }, async () => ({ text: pair.repeat(500_000) }));
    const big = await app.enqueue(megabyte, {});

    await app.runWorker({ runOnce: true, concurrency: 8 });
    for (const id of ids) expect(await app.getResult(id)).toEqual({ i: ids.indexOf(id) });
    for (const id of [nul, cut]) expect((await app.deadLetter.get(id))!.lastError).toContain("SONIQ_NOT_SERIALIZABLE");
    // 1 MB of well-formed text is stored whole.
    expect(await app.getResult(big)).toEqual({ text: pair.repeat(500_000) });
  });

  test("property: random Unicode thrown and returned never stops the other jobs", async () => {
    app = await contractApp(backend);
    const wild = app.job({ name: "poison.wild", retries: 0 }, async ({ seed }: { seed: number }) => {
      const text = randomText(seed);
      if (seed % 2 === 0) throw new Error(text);
      return { text };
    });
    const healthy = app.job({ name: "poison.tame" }, async () => "ok");
    const wildIds = await app.enqueueMany(wild, Array.from({ length: 60 }, (_, seed) => ({ seed })));
    const tameIds = await app.enqueueMany(healthy, Array.from({ length: 60 }, (_, i) => ({ i })));

    const summary = await app.runWorker({ runOnce: true, concurrency: 10 });
    expect(summary.processed).toBe(120);
    for (const id of tameIds) expect(await app.getResult(id)).toBe("ok");
    for (const id of wildIds) {
      const status = (await app.getJobStatus(id))!;
      expect(["done", "dead_letter"]).toContain(status.status);
      if (status.lastError !== null) expect(status.lastError.isWellFormed() && !status.lastError.includes("\u0000")).toBe(true);
    }
    expect(await app.getQueueStats()).toMatchObject({ queued: 0, processing: 0 });
  }, 60_000);
});

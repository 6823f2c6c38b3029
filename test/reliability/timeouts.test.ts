/**
 * A handler that ignores its abort signal after its timeout keeps its slot and its job until it
 * settles: never more than `concurrency` handlers at once, never two attempts of one job at once.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Soniq } from "../../src/index.ts";
import { BACKENDS, contractApp } from "../contract/backends.ts";

let app: Soniq | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe.each(BACKENDS)("timeouts bound concurrency: $name", (backend) => {
  test("concurrency 1: the retry of a timed-out, signal-ignoring handler never overlaps it", async () => {
    app = await contractApp(backend);
    let running = 0;
    let maxRunning = 0;
    const spans: { job: string; attempt: number; start: number; end: number }[] = [];
    const stubborn = app.job({ name: "timeouts.stubborn", timeout: 0.2, retries: 1 }, async ({ ms }: { ms: number }, ctx) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      const start = performance.now();
      await Bun.sleep(ctx.attempt === 1 ? ms : 10); // ignores ctx.signal on purpose
      running--;
      spans.push({ job: ctx.jobId, attempt: ctx.attempt, start, end: performance.now() });
      expect(ctx.signal.aborted).toBe(ctx.attempt === 1);
    });
    const other = app.job({ name: "timeouts.other" }, async (_args, ctx) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      const start = performance.now();
      await Bun.sleep(5);
      running--;
      spans.push({ job: ctx.jobId, attempt: ctx.attempt, start, end: performance.now() });
    });
    const id = await app.enqueue(stubborn, { ms: 700 });
    await app.enqueueMany(other, [{}, {}, {}]);

    const summary = await app.runWorker({ runOnce: true, concurrency: 1 });
    expect(maxRunning).toBe(1);
    const attempts = spans.filter((s) => s.job === id).sort((a, b) => a.attempt - b.attempt);
    expect(attempts.map((s) => s.attempt)).toEqual([1, 2]);
    expect(attempts[1]!.start).toBeGreaterThanOrEqual(attempts[0]!.end);
    expect(summary).toMatchObject({ processed: 5, succeeded: 4, retried: 1 });
    const status = (await app.getJobStatus(id))!;
    expect(status).toMatchObject({ status: "done", attempts: 2 });
  });
});

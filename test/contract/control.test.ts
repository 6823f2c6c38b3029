/**
 * Steering a job from its handler, on every backend: Snooze, PermanentError, a retry policy,
 * and middleware.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { PermanentError, Snooze, type JobContext, type MetricsSink, type Soniq } from "../../src/index.ts";
import { BACKENDS, contractApp } from "./backends.ts";

let app: Soniq | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe.each(BACKENDS)("handler control: $name", (backend) => {
  test("Snooze requeues without spending an attempt, with SNOOZE as last error and no afterJob", async () => {
    const ends: string[] = [];
    const sink: MetricsSink = { recordJobEnd: (e) => void ends.push(e.status) };
    app = await contractApp(backend, { metrics: sink });
    const afterJob: string[] = [];
    app.afterJob((ctx) => void afterJob.push(ctx.jobId));
    let calls = 0;
    const job = app.job({ name: "control.snoozer", retries: 0 }, async (_args, ctx) => {
      calls++;
      expect(ctx.attempt).toBe(1); // every run is attempt 1: snoozes never spend one
      if (calls === 1) return new Snooze(0.2, "rate limited");
      if (calls <= 3) return new Snooze(0);
      return "finally";
    });
    const id = await app.enqueue(job, {});
    const first = await app.runWorker({ runOnce: true, concurrency: 1 });
    expect(first.snoozed).toBeGreaterThanOrEqual(1);
    const after = (await app.getJob(id))!;
    if (after.status === "queued") {
      expect(after).toMatchObject({ attempts: 0, lastError: "SNOOZE: rate limited" });
      expect(after.scheduledAt!.getTime()).toBeGreaterThan(Date.now() - 1000);
      await Bun.sleep(250);
      await app.runWorker({ runOnce: true, concurrency: 1 });
    }
    expect(await app.getJob(id)).toMatchObject({ status: "done", attempts: 1, result: "finally" });
    expect(calls).toBe(4);
    expect(afterJob).toEqual([id]);
    expect(ends.filter((s) => s === "snoozed")).toHaveLength(3);
  });

  test("a Snooze longer than snoozeMaxSeconds is capped, with a warning", async () => {
    const lines: string[] = [];
    app = await contractApp(backend, { snoozeMaxSeconds: 5, logLevel: "warn", logSink: (line) => void lines.push(line) });
    const job = app.job({ name: "control.long_snooze" }, async () => new Snooze(3600));
    const id = await app.enqueue(job, {});
    await app.runWorker({ runOnce: true, concurrency: 1 });
    const row = (await app.getJob(id))!;
    expect(row).toMatchObject({ status: "queued", attempts: 0, lastError: "SNOOZE" });
    expect(row.scheduledAt!.getTime()).toBeLessThanOrEqual(Date.now() + 5_000);
    expect(row.scheduledAt!.getTime()).toBeGreaterThan(Date.now() + 3_000);
    expect(lines.join("\n")).toContain("snooze capped");
  });

  test("PermanentError dead-letters at once as permanent_failure, retries left or not", async () => {
    app = await contractApp(backend);
    const willRetry: boolean[] = [];
    app.onError((_ctx, _error, info) => void willRetry.push(info.willRetry));
    const job = app.job({ name: "control.permanent", retries: 5 }, async () => {
      throw new PermanentError("bad input, never retry");
    });
    const id = await app.enqueue(job, {});
    await app.runWorker({ runOnce: true, concurrency: 1 });
    const dead = (await app.deadLetter.get(id))!;
    expect(dead).toMatchObject({ reason: "permanent_failure", attempts: 1 });
    expect(dead.lastError).toStartWith("PermanentError: bad input, never retry");
    expect(willRetry).toEqual([false]);
  });

  test("a retry policy picks each delay from the real error, and null dead-letters with its reason", async () => {
    const seen: { attempt: number; name: string; message: string }[] = [];
    app = await contractApp(backend, {
      retryPolicy: {
        delayFor({ attempt, job, error }) {
          seen.push({ attempt, name: job.jobName, message: (error as Error).message });
          if ((error as Error).message === "fatal") return null;
          return 0;
        },
      },
    });
    let runs = 0;
    const flaky = app.job({ name: "control.flaky", retries: 3 }, async () => {
      runs++;
      if (runs < 3) throw new Error("transient");
      return "ok";
    });
    const fatal = app.job({ name: "control.fatal", retries: 3 }, async () => {
      throw new Error("fatal");
    });
    const a = await app.enqueue(flaky, {});
    const b = await app.enqueue(fatal, {});
    await app.runWorker({ runOnce: true, concurrency: 1 });
    expect(await app.getJob(a)).toMatchObject({ status: "done", attempts: 3, result: "ok" });
    const dead = (await app.deadLetter.get(b))!;
    expect(dead.reason).toBe("permanent_failure");
    expect(dead.lastError).toStartWith("Retry policy declined: Error: fatal");
    expect(seen).toContainEqual({ attempt: 1, name: "control.fatal", message: "fatal" });
    expect(seen.filter((s) => s.name === "control.flaky").map((s) => s.attempt)).toEqual([1, 2]);
  });

  test("middleware: first registered is outermost; it can transform, short-circuit and fail; it runs inside the timeout", async () => {
    app = await contractApp(backend);
    const order: string[] = [];
    app.middleware(async (ctx, next) => {
      order.push(`outer>${ctx.jobName}`);
      const result = await next();
      order.push("outer<");
      return ctx.jobName === "control.mw_transform" ? { wrapped: result } : result;
    });
    app.middleware(async (ctx: JobContext, next) => {
      order.push("inner>");
      if (ctx.jobName === "control.mw_skip") return "skipped";
      if (ctx.jobName === "control.mw_fail") throw new Error("middleware says no");
      if (ctx.jobName === "control.mw_slow") {
        await Bun.sleep(1000);
        ctx.signal.throwIfAborted(); // timed out meanwhile: do not start the handler
      }
      return next();
    });
    let handled = 0;
    const handler = async () => {
      handled++;
      return 7;
    };
    const transform = await app.enqueue(app.job({ name: "control.mw_transform" }, handler), {});
    const skip = await app.enqueue(app.job({ name: "control.mw_skip" }, handler), {});
    const fail = await app.enqueue(app.job({ name: "control.mw_fail", retries: 0 }, handler), {});
    const slow = await app.enqueue(app.job({ name: "control.mw_slow", retries: 0, timeout: 0.2 }, handler), {});
    await app.runWorker({ runOnce: true, concurrency: 1 });
    expect(await app.getResult(transform)).toEqual({ wrapped: 7 });
    expect(await app.getResult(skip)).toBe("skipped");
    expect((await app.deadLetter.get(fail))!.lastError).toContain("middleware says no");
    expect((await app.deadLetter.get(slow))!).toMatchObject({ reason: "timeout" });
    expect(handled).toBe(1);
    expect(order.slice(0, 3)).toEqual(["outer>control.mw_transform", "inner>", "outer<"]);
  });
});

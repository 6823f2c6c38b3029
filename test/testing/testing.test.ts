/**
 * `soniq/testing` through its public surface: `import ... from "soniq/testing"` resolves through
 * package.json `exports` (as in an installed package; test/ecosystem/pack.test.ts checks a packed
 * install too), and `new Soniq({ testing: "inline" })`.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { PermanentError, Snooze, Soniq, Type, taskRef, type JobContext, type JobHandle } from "soniq";
import { drain, enqueued, makeApp, MemoryBackend, waitUntil, type DrainSummary, type EnqueuedJob } from "soniq/testing";
import { freshDatabase } from "../helpers/db.ts";

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

const apps: Soniq[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});
async function fresh(options: ConstructorParameters<typeof Soniq>[0] = {}): Promise<Soniq> {
  const app = await makeApp(options);
  apps.push(app);
  return app;
}
function inline(options: ConstructorParameters<typeof Soniq>[0] = {}): Soniq {
  const app = new Soniq({ testing: "inline", logLevel: "error", ...options });
  apps.push(app);
  return app;
}

const WelcomeArgs = Type.Object({ userId: Type.Integer(), template: Type.Optional(Type.String()), tags: Type.Optional(Type.Array(Type.String())) });

test('"soniq/testing" resolves through package.json exports to src/testing/index.ts', () => {
  expect(import.meta.resolve("soniq/testing")).toEndWith("/src/testing/index.ts");
  expect(typeof drain).toBe("function");
  expect(new MemoryBackend().kind).toBe("memory");
});

describe("makeApp", () => {
  test("a fresh, set-up app on its own memory backend; options pass through", async () => {
    const a = await fresh();
    const b = await fresh({ queues: ["emails"] });
    expect(a.backend.kind).toBe("memory");
    expect(b.settings.queues).toEqual(["emails"]);
    a.job({ name: "t.noop" }, async () => {});
    await a.enqueue("t.noop", {});
    expect(await a.listJobs()).toHaveLength(1);
    expect(await b.listJobs()).toHaveLength(0); // not shared
    expect(a.settings.logLevel).toBe(process.env.SONIQ_LOG_LEVEL ? a.settings.logLevel : "warn");
  });

  test("another backend when one is asked for", async () => {
    const dir = mkdtempSync(join(tmpdir(), "soniq-testing-"));
    try {
      const app = await fresh({ databaseUrl: `sqlite:${join(dir, "t.db")}` });
      expect(app.backend.kind).toBe("sqlite");
      expect(await app.getQueueStats()).toMatchObject({ total: 0 }); // tables exist: setup ran
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("enqueued", () => {
  test("lists queued jobs oldest first, by handle, task name or taskRef, typed by the handle's args", async () => {
    const app = await fresh();
    const sendWelcome = app.job({ name: "users.send_welcome", validate: WelcomeArgs }, async () => ({ sent: true }));
    const other = app.job({ name: "users.other" }, async (_: { n: number }) => {});
    await app.enqueue(sendWelcome, { userId: 1 });
    await app.enqueue(other, { n: 1 });
    await app.enqueue(sendWelcome, { userId: 2, template: "promo" }, { scheduledAt: 3600 });

    const all = await enqueued(app);
    expect(all.map((j) => j.jobName)).toEqual(["users.send_welcome", "users.other", "users.send_welcome"]);
    const welcomes = await enqueued(app, sendWelcome);
    expect(welcomes.map((j) => j.args.userId)).toEqual([1, 2]); // scheduled jobs are queued too
    expect(welcomes[1]!.scheduledAt).toBeInstanceOf(Date);
    expect((await enqueued(app, "users.other")).map((j) => j.args)).toEqual([{ n: 1 }]);
    const ref = taskRef("users.send_welcome", WelcomeArgs);
    expect(await enqueued(app, ref, { template: "promo" })).toHaveLength(1);
    expect(await enqueued(app, "nobody.registers_this")).toEqual([]);

    // Types: args come from the handle (or taskRef); argsMatch is a deep partial of them.
    type _args = Expect<Equal<(typeof welcomes)[number]["args"], { userId: number; template?: string; tags?: string[] }>>;
    type _rec = Expect<Equal<(typeof welcomes)[number], EnqueuedJob<{ userId: number; template?: string; tags?: string[] }>>>;
    // @ts-expect-error userId is a number
    await enqueued(app, sendWelcome, { userId: "1" });
    // @ts-expect-error no such field
    await enqueued(app, sendWelcome, { user: 1 });
  });

  test("argsMatch: deep partial (nested objects, arrays element by element) or a predicate; done jobs are not listed", async () => {
    const app = await fresh();
    const sync = app.job({ name: "crm.sync" }, async (_: { account: { id: number; region: string }; fields: string[] }) => "ok");
    await app.enqueue(sync, { account: { id: 1, region: "eu" }, fields: ["name", "email"] });
    await app.enqueue(sync, { account: { id: 2, region: "us" }, fields: ["name"] });
    expect((await enqueued(app, sync, { account: { region: "eu" } })).map((j) => j.args.account.id)).toEqual([1]);
    expect((await enqueued(app, sync, { fields: ["name"] })).map((j) => j.args.account.id)).toEqual([2]);
    expect(await enqueued(app, sync, { account: { id: 3 } })).toEqual([]);
    expect((await enqueued(app, sync, (args) => args.fields.length > 1)).map((j) => j.args.account.id)).toEqual([1]);
    expect(await enqueued(app, sync, {})).toHaveLength(2);

    await drain(app);
    expect(await enqueued(app, sync)).toEqual([]);
    expect(() => enqueued(app, 42 as never)).toThrow("job must be a job handle");
  });
});

describe("drain", () => {
  test("runs everything due, jobs enqueued by jobs and zero-delay retries included, and sums the outcomes", async () => {
    const app = await fresh();
    const seen: string[] = [];
    let flaky = 0;
    const child = app.job({ name: "t.child" }, async ({ n }: { n: number }) => void seen.push(`child ${n}`));
    const parent = app.job({ name: "t.parent" }, async ({ n }: { n: number }) => {
      seen.push(`parent ${n}`);
      await app.enqueue(child, { n });
    });
    app.job({ name: "t.flaky", retries: 2 }, async () => {
      if (++flaky < 3) throw new Error("not yet");
    });
    app.job({ name: "t.doomed", retries: 1 }, async () => {
      throw new Error("always");
    });
    await app.enqueue(parent, { n: 1 });
    await app.enqueue(parent, { n: 2 });
    await app.enqueue("t.flaky", {});
    const doomed = await app.enqueue("t.doomed", {});
    const later = await app.enqueue(child, { n: 9 }, { scheduledAt: 3600 });

    const summary: DrainSummary = await drain(app, { concurrency: 1 });
    expect(summary).toMatchObject({ processed: 9, succeeded: 5, retried: 3, deadLettered: 1, snoozed: 0, pending: 1 });
    expect(summary.rounds).toBeGreaterThanOrEqual(1);
    expect(seen.sort()).toEqual(["child 1", "child 2", "parent 1", "parent 2"]);
    expect((await app.getJobStatus(doomed))?.status).toBe("dead_letter");
    expect((await app.getJob(later))?.status).toBe("queued"); // not due: left for later
    expect(await drain(app)).toMatchObject({ processed: 0, pending: 1, rounds: 1 });
  });

  test("queues limits it; retry delays stay unless skipRetryDelays", async () => {
    const app = await fresh();
    let runs = 0;
    app.job({ name: "t.slow_retry", retries: 1, retryDelay: 3600 }, async (_: object, ctx: JobContext) => {
      runs++;
      if (ctx.attempt === 1) throw new Error("first try fails");
      return "second try";
    });
    app.job({ name: "t.other_queue", queue: "other" }, async () => {});
    const id = await app.enqueue("t.slow_retry", {});
    await app.enqueue("t.other_queue", {});

    expect(await drain(app, { queues: ["default"] })).toMatchObject({ processed: 1, retried: 1, pending: 1 });
    expect((await app.getJob(id))?.status).toBe("queued"); // retry in an hour
    expect(await enqueued(app, "t.other_queue")).toHaveLength(1); // other queue untouched

    await app.deleteJob(id);
    const again = await app.enqueue("t.slow_retry", {});
    const t0 = performance.now();
    expect(await drain(app, { skipRetryDelays: true })).toMatchObject({ processed: 3, succeeded: 2, retried: 1, pending: 0 });
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(await app.getResult(again)).toBe("second try");
    expect(runs).toBe(3);
  });

  test("a job that keeps enqueueing due jobs hits maxJobs with a clear error; bad options are refused", async () => {
    const app = await fresh();
    const forever: JobHandle<{ n: number }> = app.job({ name: "t.forever" }, async ({ n }: { n: number }) => {
      await app.enqueue(forever, { n: n + 1 });
    });
    await app.enqueue(forever, { n: 0 });
    await expect(drain(app, { maxJobs: 25 })).rejects.toThrow("drain: jobs were still due after 25 jobs (maxJobs)");
    await expect(drain(app, { maxRounds: 0 })).rejects.toThrow("maxRounds must be an integer >= 1");
    await expect(drain(app, { queues: "default" as never })).rejects.toThrow("queues must be an array");
  });
});

describe('testing: "inline"', () => {
  test("the handler runs inside enqueue(); the outcome is recorded for getJob, getResult, hooks", async () => {
    const app = inline();
    const events: string[] = [];
    app.beforeJob((ctx) => void events.push(`before ${ctx.jobName}`));
    app.afterJob((ctx, { result }) => void events.push(`after ${ctx.jobName} ${JSON.stringify(result)}`));
    const sendWelcome = app.job({ name: "users.send_welcome", validate: WelcomeArgs }, async ({ userId }, ctx) => {
      events.push(`run ${userId} attempt ${ctx.attempt}`);
      return { sent: true };
    });
    expect(app.backend.kind).toBe("memory");
    expect(app.testing).toBe("inline");
    const id = await app.enqueue(sendWelcome, { userId: 42 });
    expect(events).toEqual(["before users.send_welcome", "run 42 attempt 1", 'after users.send_welcome {"sent":true}']);
    expect(await app.getResult(id)).toEqual({ sent: true });
    expect(await app.getJob(id)).toMatchObject({ status: "done", attempts: 1 });
    expect(await enqueued(app)).toEqual([]);
  });

  test("retries run back to back (delays skipped), then the dead-letter queue; PermanentError and a declining retryPolicy dead-letter at once", async () => {
    const delays: number[] = [];
    const app = inline({ retryPolicy: { delayFor: ({ error }) => (String(error).includes("give up") ? null : (delays.push(60), 60)) } });
    let calls = 0;
    app.job({ name: "t.eventually", retries: 3, retryDelay: [30, 60] }, async (_: object, ctx: JobContext) => {
      calls++;
      if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} fails`);
      return ctx.attempt;
    });
    app.job({ name: "t.always", retries: 2 }, async () => {
      throw new Error("boom");
    });
    app.job({ name: "t.permanent", retries: 5 }, async () => {
      throw new PermanentError("bad input");
    });
    app.job({ name: "t.declined", retries: 5 }, async () => {
      throw new Error("give up");
    });
    const t0 = performance.now();
    const ok = await app.enqueue("t.eventually", {});
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(calls).toBe(3);
    expect(delays).toEqual([60, 60]); // the policy was asked; its delay was skipped
    expect(await app.getJob(ok)).toMatchObject({ status: "done", attempts: 3, result: 3 });

    const always = await app.enqueue("t.always", {});
    expect(await app.getJobStatus(always)).toMatchObject({ status: "dead_letter", attempts: 3 });
    expect((await app.deadLetter.list()).map((d) => [d.id, d.reason])).toContainEqual([always, "max_retries_exceeded"]);
    const permanent = await app.enqueue("t.permanent", {});
    expect(await app.getJobStatus(permanent)).toMatchObject({ status: "dead_letter", attempts: 1 });
    const declined = await app.enqueue("t.declined", {});
    expect(await app.getJobStatus(declined)).toMatchObject({ status: "dead_letter", attempts: 1 });
    expect((await app.deadLetter.get(declined))?.reason).toBe("permanent_failure");
  });

  test("jobs enqueued by a job run before the outer enqueue() returns; enqueueMany runs every job", async () => {
    const app = inline();
    const order: string[] = [];
    const child = app.job({ name: "t.child" }, async ({ n }: { n: number }) => void order.push(`child ${n}`));
    const parent = app.job({ name: "t.parent" }, async ({ n }: { n: number }) => {
      order.push(`parent ${n} start`);
      await app.enqueue(child, { n });
      order.push(`parent ${n} end`);
    });
    await app.enqueue(parent, { n: 1 });
    expect(order).toEqual(["parent 1 start", "child 1", "parent 1 end"]);
    order.length = 0;
    const ids = await app.enqueueMany(child, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(order).toEqual(["child 1", "child 2", "child 3"]);
    for (const id of ids) expect((await app.getJob(id))?.status).toBe("done");
  });

  test("a job scheduled for later and a Snooze keep their time (queued; drain runs them once due); an unregistered name dead-letters as a worker would", async () => {
    const app = inline();
    let snoozes = 0;
    app.job({ name: "t.later" }, async () => "ran");
    app.job({ name: "t.snoozer" }, async () => (snoozes++ === 0 ? new Snooze(0.2, "rate limited") : "after snooze"));
    const later = await app.schedule("t.later", 3600, {});
    expect((await app.getJob(later))?.status).toBe("queued");
    expect(await enqueued(app, "t.later")).toHaveLength(1);

    const snoozed = await app.enqueue("t.snoozer", {});
    expect(await app.getJob(snoozed)).toMatchObject({ status: "queued", attempts: 0 });
    await waitUntil(async () => (await app.getJob(snoozed))!.scheduledAt!.getTime() <= Date.now(), { timeout: 5 });
    expect(await drain(app)).toMatchObject({ succeeded: 1, pending: 1 });
    expect(await app.getResult(snoozed)).toBe("after snooze");

    const stranger = await app.enqueue(taskRef("billing.not_here"), {});
    expect((await app.deadLetter.get(stranger))?.reason).toBe("job_not_found");
  });

  test("memory by default even when SONIQ_DATABASE_URL is set; a databaseUrl or backend is honoured; bad values are refused", async () => {
    const saved = process.env.SONIQ_DATABASE_URL;
    process.env.SONIQ_DATABASE_URL = "postgres://nobody@127.0.0.1:1/none";
    try {
      expect(inline().backend.kind).toBe("memory");
    } finally {
      if (saved === undefined) delete process.env.SONIQ_DATABASE_URL;
      else process.env.SONIQ_DATABASE_URL = saved;
    }
    const dir = mkdtempSync(join(tmpdir(), "soniq-inline-"));
    try {
      const app = inline({ databaseUrl: join(dir, "inline.db") });
      await app.setup();
      app.job({ name: "t.on_sqlite" }, async () => "sqlite");
      expect(app.backend.kind).toBe("sqlite");
      expect(await app.getResult(await app.enqueue("t.on_sqlite", {}))).toBe("sqlite");
      expect(inline({ backend: new MemoryBackend() }).backend.kind).toBe("memory");
    } finally {
      await Promise.all(apps.splice(0).map((a) => a.close()));
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => new Soniq({ testing: "eager" as never })).toThrow('testing must be "inline"');
  });

  test("on PostgreSQL: runs at enqueue; inside a transaction (connection) it waits for drain, since the row is invisible until commit", async () => {
    const url = await freshDatabase();
    const app = inline({ databaseUrl: url });
    await app.setup();
    app.job({ name: "t.pg" }, async ({ n }: { n: number }) => n * 2);
    expect(await app.getResult(await app.enqueue("t.pg", { n: 2 }))).toBe(4);
    const sql = postgres(url, { onnotice: () => {} });
    try {
      let id = "";
      await sql.begin(async (tx) => {
        id = await app.enqueue("t.pg", { n: 5 }, { connection: tx });
      });
      expect((await app.getJob(id))?.status).toBe("queued");
      expect(await drain(app)).toMatchObject({ succeeded: 1 });
      expect(await app.getResult(id)).toBe(10);
    } finally {
      await sql.end();
    }
  });
});

describe("waitUntil", () => {
  test("returns the first truthy value of a sync or async predicate", async () => {
    let n = 0;
    expect(await waitUntil(() => ++n >= 3 && n)).toBe(3);
    const value = await waitUntil(async () => ({ ready: true }), { timeout: 1 });
    type _v = Expect<Equal<typeof value, { ready: boolean }>>;
    expect(value).toEqual({ ready: true });
  });

  test("times out with an AssertionError naming the condition; a throwing predicate throws at once; bad options are refused", async () => {
    const t0 = performance.now();
    const error = await waitUntil(() => false, { timeout: 0.1, interval: 0.02, message: "job never finished" }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe("AssertionError");
    expect((error as Error).message).toBe("waitUntil: condition not met within 0.1 s: job never finished");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
    await expect(
      waitUntil(() => {
        throw new Error("predicate broke");
      }),
    ).rejects.toThrow("predicate broke");
    await expect(waitUntil(() => true, { timeout: -1 })).rejects.toThrow("timeout must be seconds >= 0");
  });
});

/**
 * `soniq/testing`: helpers for testing code that enqueues and runs jobs (docs/testing.md).
 *
 * - `makeApp(options?)`: a fresh app on the memory backend, set up.
 * - `enqueued(app, job?, argsMatch?)`: the queued jobs (of one job), typed by its args.
 * - `drain(app, options?)`: run everything due, jobs enqueued by jobs included, until idle.
 * - `waitUntil(predicate, { timeout, interval })`: poll until a predicate holds.
 * - `new Soniq({ testing: "inline" })` (no import needed): `enqueue()` runs the job before returning.
 */
import type { JobRecord } from "../backends/types.ts";
import type { JobArgs, JobHandle, TaskRef } from "../core/job.ts";
import { isJobHandle, isTaskRef } from "../core/job.ts";
import { ErrorCodes, SoniqError, show } from "../errors.ts";
import { Soniq, type SoniqOptions } from "../soniq.ts";
import type { WorkerSummary } from "../worker/worker.ts";

export { MemoryBackend } from "../backends/memory/index.ts";

// ---- makeApp ----

/**
 * A fresh app on its own memory backend, `setup()` done: `await using app = await makeApp()`.
 * Options are `new Soniq()`'s (`testing: "inline"`, `retryPolicy`, settings, even another
 * `backend` or `databaseUrl`). The log level is `warn` unless `logLevel` or `SONIQ_LOG_LEVEL` says otherwise.
 */
export async function makeApp(options: SoniqOptions = {}): Promise<Soniq> {
  const onMemory = options.backend === undefined && options.databaseUrl === undefined;
  const quiet = options.logLevel === undefined && !process.env.SONIQ_LOG_LEVEL;
  const app = new Soniq({ ...(onMemory ? { backend: "memory" as const } : {}), ...(quiet ? { logLevel: "warn" as const } : {}), ...options });
  await app.setup();
  return app;
}

// ---- enqueued ----

/** A partial of `T`, at every depth: what `enqueued(app, job, argsMatch)` matches args against. */
export type DeepPartial<T> = T extends readonly (infer U)[]
  ? readonly DeepPartial<U>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** A queued job as `enqueued()` lists it: the stored row, `args` typed by the job's handle or `taskRef`. */
export interface EnqueuedJob<A = JobArgs> extends Omit<JobRecord, "args"> {
  args: A;
}

/** How `enqueued()` filters args: a deep partial of them, or a predicate. */
export type ArgsMatch<A> = DeepPartial<A> | ((args: A) => boolean);

type Target<A> = JobHandle<A, any> | TaskRef<A>;

/**
 * The jobs waiting in the queue (status `queued`, due or scheduled for later), oldest first:
 * all of them, or those of one job (handle, `taskRef` or task name) whose args match `argsMatch`
 * (a deep partial: every field it names must match, arrays element by element, or a predicate).
 *
 * ```ts
 * expect(await enqueued(app, sendWelcome, { userId: 42 })).toHaveLength(1);
 * ```
 */
export function enqueued<A>(app: Soniq, job: Target<A>, argsMatch?: ArgsMatch<A>): Promise<EnqueuedJob<A>[]>;
export function enqueued<A = JobArgs>(app: Soniq, job?: string | null, argsMatch?: ArgsMatch<A>): Promise<EnqueuedJob<A>[]>;
export async function enqueued(app: Soniq, job?: Target<unknown> | string | null, argsMatch?: ArgsMatch<unknown>): Promise<EnqueuedJob<unknown>[]> {
  let jobName: string | undefined;
  if (job === undefined || job === null) jobName = undefined;
  else if (typeof job === "string") jobName = job;
  else if (isJobHandle(job) || isTaskRef(job)) jobName = job.name;
  else throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `enqueued(app, job): job must be a job handle, a taskRef or a task name, got ${show(job)}`);
  const rows: JobRecord[] = [];
  const PAGE = 10_000;
  for (let offset = 0; ; offset += PAGE) {
    const page = await app.listJobs({ status: "queued", ...(jobName === undefined ? {} : { jobName }), limit: PAGE, offset });
    rows.push(...page);
    if (page.length < PAGE) break;
  }
  // listJobs is newest first; tests read enqueue order more naturally. Ids are UUIDv7: time-ordered.
  rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (argsMatch === undefined) return rows;
  const test = typeof argsMatch === "function" ? (argsMatch as (args: unknown) => boolean) : (args: unknown) => matches(args, argsMatch);
  return rows.filter((row) => test(row.args));
}

/** Deep partial match: objects by the pattern's keys, arrays element by element (same length), the rest by `Object.is`. */
function matches(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) {
    return Array.isArray(value) && value.length === pattern.length && pattern.every((p, i) => matches(value[i], p));
  }
  if (pattern !== null && typeof pattern === "object") {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
    return Object.entries(pattern).every(([key, p]) => p === undefined || (Object.hasOwn(value, key) && matches((value as Record<string, unknown>)[key], p)));
  }
  return Object.is(value, pattern);
}

// ---- drain ----

export interface DrainOptions {
  /** Jobs run at once (default: the app's `concurrency` setting; 1 runs them one by one in claim order). */
  concurrency?: number;
  /** Only these queues (default: all). */
  queues?: string[];
  /**
   * Give up (SONIQ_INVALID_ARGUMENT) once this many attempts ran and jobs are still due (default
   * 10,000): a job that keeps enqueueing due jobs never lets the queues idle.
   */
  maxJobs?: number;
  /** Give up the same way after this many run-once worker runs (default 100). */
  maxRounds?: number;
  /**
   * Retry failed attempts at once instead of after their delay (the job's `retryDelay` or the app's
   * `retryPolicy`, whose `null` still dead-letters). Default false: a retry with a delay stays queued
   * for later and counts in `pending`.
   */
  skipRetryDelays?: boolean;
}

export interface DrainSummary extends Omit<WorkerSummary, "workerId"> {
  /** Run-once worker runs it took (at least 1). */
  rounds: number;
  /** Jobs still queued in the drained queues: not due yet (scheduled for later, delayed retries, snoozes), or unclaimable here. */
  pending: number;
}

/**
 * Run everything due until the queues are idle, including jobs that jobs enqueue and retries that
 * are due, with run-once workers (`app.runWorker({ runOnce: true })`, in a loop until nothing is
 * due): handlers, hooks, timeouts and outcomes are exactly a worker's. Returns the totals.
 *
 * ```ts
 * const summary = await drain(app);
 * expect(summary).toMatchObject({ succeeded: 2, deadLettered: 0 });
 * ```
 */
export async function drain(app: Soniq, options: DrainOptions = {}): Promise<DrainSummary> {
  const { concurrency, queues, maxJobs = 10_000, maxRounds = 100, skipRetryDelays = false } = options;
  for (const [name, value] of [["maxJobs", maxJobs], ["maxRounds", maxRounds]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `drain: ${name} must be an integer >= 1, got ${show(value)}`);
  }
  if (queues !== undefined && (!Array.isArray(queues) || queues.some((q) => typeof q !== "string"))) {
    throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `drain: queues must be an array of queue names, got ${show(queues)}`);
  }
  const total: DrainSummary = { processed: 0, succeeded: 0, retried: 0, deadLettered: 0, snoozed: 0, requeued: 0, rounds: 0, pending: 0 };
  const picked = queues && queues.length > 0 ? queues : null;
  for (;;) {
    const budget = maxJobs - total.processed;
    const summary = skipRetryDelays
      ? await app.runDue({ queues: picked, concurrency: concurrency ?? app.settings.concurrency, maxJobs: budget })
      : await app.runWorker({ runOnce: true, handleSignals: false, queues: picked, maxJobs: budget, ...(concurrency === undefined ? {} : { concurrency }) });
    total.rounds++;
    for (const key of ["processed", "succeeded", "retried", "deadLettered", "snoozed", "requeued"] as const) total[key] += summary[key];
    const state = await queueState(app, picked);
    total.pending = state.queued;
    // Nothing due, or due jobs no worker here can claim (a round that ran none would spin).
    if (!state.due || summary.processed === 0) return total;
    if (total.processed >= maxJobs || total.rounds >= maxRounds) {
      const limit = total.processed >= maxJobs ? `${maxJobs} jobs (maxJobs)` : `${maxRounds} rounds (maxRounds)`;
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `drain: jobs were still due after ${limit}; does a job keep enqueueing due jobs?`, { ...total });
    }
  }
}

/** Queued jobs in these queues, and whether one of them is due (`oldestQueuedAgeSeconds` is set only then). */
async function queueState(app: Soniq, queues: string[] | null): Promise<{ queued: number; due: boolean }> {
  let queued = 0;
  let due = false;
  for (const row of await app.getQueueBreakdown()) {
    if (queues && !queues.includes(row.queue)) continue;
    queued += row.queued;
    if (row.oldestQueuedAgeSeconds !== null) due = true;
  }
  return { queued, due };
}

// ---- waitUntil ----

export interface WaitUntilOptions {
  /** Seconds before giving up (default 2). */
  timeout?: number;
  /** Seconds between tries (default 0.01). */
  interval?: number;
  /** Added to the timeout error's message. */
  message?: string;
}

/**
 * Poll `predicate` (sync or async) until it returns a truthy value, and return that value. After
 * `timeout` seconds it throws an `Error` named `AssertionError`; an error the predicate throws
 * propagates at once.
 *
 * ```ts
 * const job = await waitUntil(async () => (await app.getJob(id))?.status === "done" && app.getJob(id));
 * ```
 */
export async function waitUntil<T>(predicate: () => T | Promise<T>, options: WaitUntilOptions = {}): Promise<Exclude<Awaited<T>, false | 0 | "" | null | undefined>> {
  const { timeout = 2, interval = 0.01, message } = options;
  for (const [name, value] of [["timeout", timeout], ["interval", interval]] as const) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `waitUntil: ${name} must be seconds >= 0, got ${show(value)}`);
    }
  }
  const deadline = performance.now() + timeout * 1000;
  for (;;) {
    const value = await predicate();
    if (value) return value as Exclude<Awaited<T>, false | 0 | "" | null | undefined>;
    const left = deadline - performance.now();
    if (left <= 0) {
      const error = new Error(`waitUntil: condition not met within ${timeout} s${message ? `: ${message}` : ""}`);
      error.name = "AssertionError";
      throw error;
    }
    await Bun.sleep(Math.min(interval * 1000, left));
  }
}

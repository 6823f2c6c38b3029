/**
 * Recurring jobs. Schedules live in the database (`soniq_recurring_jobs` on Postgres), keyed by
 * task name, so any process can add, pause, resume or remove them and every scheduler sees the
 * change at its next check. A scheduler loop takes the backend's "scheduler" leader lock for each
 * tick, reads the active schedules, and fires each due one with `backend.fireSchedule`: a
 * compare-and-swap on `next_run` and the job insert in one transaction, so two schedulers never
 * fire the same tick twice.
 *
 * Policies:
 * - The first run is one interval (or cron step) after the schedule is created, never at once.
 * - Missed runs are not backfilled: after downtime (or a pause) a due schedule fires once, and
 *   its next run is computed from the time it fired.
 * - Restarting a scheduler keeps an existing schedule's `next_run` when its type and value did
 *   not change, so restarts never push a long interval back.
 */
import type { TSchema } from "@sinclair/typebox";
import type { NewJob, ScheduleRecord, StorageBackend } from "../backends/types.ts";
import { FORCED_EXIT_CODE, onShutdownSignals } from "../core/signals.ts";
import {
  checkAgainst,
  checkInt,
  checkQueueName,
  isJobHandle,
  isTaskRef,
  validateTaskName,
  routeQueue,
  type JobArgs,
  type JobHandle,
  type JobHandler,
  type JobOptions,
  type ResolvedJobOptions,
  type TaskRef,
} from "../core/job.ts";
import { serializeArgs } from "../core/json.ts";
import { ErrorCodes, SoniqError } from "../errors.ts";
import type { Soniq } from "../soniq.ts";
import { describeSpec, decodeSpec, encodeSpec, nextRunAfter, parseWhen, type ScheduleSpec, type ScheduleWhen } from "./spec.ts";

/** `app.periodic({ cron | every, timezone?, args?, ...jobOptions }, handler)`. */
export interface PeriodicOptions<A = JobArgs> extends ScheduleWhen {
  /** Fixed args passed to every run (default `{}`). */
  args?: A;
}

/** `app.scheduler.add(...)`: one of `target` / `name`, and one of `cron` / `every`. */
export interface ScheduleOptions extends ScheduleWhen {
  /** A job handle, a `taskRef` or a task name. */
  target?: JobHandle<any, any> | TaskRef<any> | string;
  /** The task name to enqueue (the schedule's key); an alternative to `target`. */
  name?: string;
  /** Fixed args for every run (default `{}`), checked against the job's schema when known. */
  args?: JobArgs;
  /** Default: the registered job's queue, else a taskRef's default queue, else "default". */
  queue?: string;
  /** Default: the registered job's priority, else 100. */
  priority?: number;
  /** Attempts for each fired job. Default: the registered job's retries + 1, else 3. */
  maxAttempts?: number;
}

export interface RunSchedulerOptions {
  /** Seconds between checks of the schedules (default 30). A tick also runs when the next schedule is due. */
  checkInterval?: number;
  /** Stop gracefully when this signal aborts. */
  signal?: AbortSignal;
  /** SIGINT/SIGTERM/SIGHUP stop gracefully; a second signal exits (code 130). Default true for `run`, false for `start`. */
  handleSignals?: boolean;
}

export interface SchedulerSummary {
  /** Checks made. */
  ticks: number;
  /** Checks made while holding the leader lock. */
  leaderTicks: number;
  /** Jobs enqueued by this scheduler. */
  fired: number;
}

export interface TickResult {
  /** Whether this process held the leader lock for the tick. */
  leader: boolean;
  /** Jobs enqueued. */
  fired: number;
  /** The earliest upcoming `next_run` among active schedules (leader only). */
  nextDue: Date | null;
}

interface PeriodicDefinition {
  spec: ScheduleSpec;
  args: JobArgs;
}

const ADD_KEYS = new Set(["target", "name", "cron", "every", "timezone", "args", "queue", "priority", "maxAttempts"]);
const PROBLEM_LOG_TTL_MS = 3_600_000;
const MIN_SLEEP_MS = 5;

export class Scheduler {
  private readonly app: Soniq;
  private readonly periodicDefs = new Map<string, PeriodicDefinition>();
  private loop: Promise<SchedulerSummary> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private wasLeader: boolean | null = null;
  private readonly loggedProblems = new Map<string, number>();

  constructor(app: Soniq) {
    this.app = app;
  }

  // ---------------------------------------------------------------- periodic jobs

  /** @internal `app.periodic`: check the schedule, register the job, remember the schedule. */
  definePeriodic(options: PeriodicOptions & JobOptions, handler: JobHandler<any, unknown>): JobHandle<any, any> {
    if (options === null || typeof options !== "object") throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, "app.periodic(options, handler): options must be an object");
    const { cron, every, timezone, args, ...jobOptions } = options;
    const spec = parseWhen({ cron, every, timezone }, "app.periodic");
    const schema = (jobOptions.validate ?? jobOptions.argsModel) as TSchema | undefined;
    const runArgs = this.checkArgs(args ?? {}, schema, undefined, "app.periodic");
    const handle = this.app.job(jobOptions as JobOptions<undefined>, handler);
    this.periodicDefs.set(handle.name, { spec, args: runArgs });
    return handle;
  }

  /** Task names declared with `app.periodic` on this app. */
  get periodicNames(): string[] {
    return [...this.periodicDefs.keys()];
  }

  /**
   * Store every `app.periodic` schedule (run by the scheduler on start). An existing schedule of
   * the same name, type and value keeps its `next_run` and status; its args, queue and priority
   * follow the code. Returns the names.
   */
  async syncPeriodic(): Promise<string[]> {
    const backend = await this.backend();
    const now = new Date();
    for (const [name, def] of this.periodicDefs) {
      const options = this.app.getDefinition(name)?.options;
      await backend.upsertSchedule({
        name,
        ...encodeSpec(def.spec),
        priority: options?.priority ?? 100,
        queue: options?.queue ?? "default",
        maxAttempts: options ? options.retries + 1 : 3,
        args: def.args,
        nextRun: nextRunAfter(def.spec, now),
      });
    }
    return this.periodicNames;
  }

  // ---------------------------------------------------------------- managing schedules

  /**
   * Create or update (in place, by task name) a schedule. The first run is one interval or cron
   * step from now; re-adding with the same `cron`/`every` keeps the pending `next_run`, status and
   * run history. Returns the task name.
   */
  async add(options: ScheduleOptions): Promise<string> {
    if (options === null || typeof options !== "object") throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, "scheduler.add(options): options must be an object");
    for (const key of Object.keys(options)) {
      if (!ADD_KEYS.has(key)) throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `unknown scheduler.add option "${key}"`, { option: key });
    }
    const { name, jobOptions, refQueue, refSchema } = this.resolveTarget(options);
    const spec = parseWhen(options, "scheduler.add");
    const args = this.checkArgs(options.args ?? {}, refSchema ?? jobOptions?.schema, name, "scheduler.add");
    const priority = options.priority ?? jobOptions?.priority ?? 100;
    checkInt("priority", priority, 1, 1000);
    const queue = checkQueueName(options.queue ?? refQueue ?? jobOptions?.queue ?? routeQueue(name, this.app.settings.routeMap) ?? "default");
    const maxAttempts = options.maxAttempts ?? (jobOptions ? jobOptions.retries + 1 : 3);
    checkInt("maxAttempts", maxAttempts, 1, 1001);
    const backend = await this.backend();
    await backend.upsertSchedule({ name, ...encodeSpec(spec), priority, queue, maxAttempts, args, nextRun: nextRunAfter(spec, new Date()) });
    this.app.logger.debug("schedule saved", { schedule: name, when: describeSpec(spec) });
    return name;
  }

  /** Stop firing (kept in the database). False when there is no such schedule. */
  async pause(name: string): Promise<boolean> {
    return (await this.backend()).setScheduleStatus(checkName(name), "paused");
  }

  /** Fire again. A run missed while paused fires once at the next check. False when there is no such schedule. */
  async resume(name: string): Promise<boolean> {
    return (await this.backend()).setScheduleStatus(checkName(name), "active");
  }

  /** Delete the schedule (a periodic job's schedule comes back when a scheduler next starts). */
  async remove(name: string): Promise<boolean> {
    return (await this.backend()).removeSchedule(checkName(name));
  }

  /** Schedules ordered by name, optionally only `active` or `paused` ones. */
  async list(filter: { status?: "active" | "paused" } = {}): Promise<ScheduleRecord[]> {
    const status = filter?.status;
    if (status !== undefined && status !== "active" && status !== "paused") {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `status must be "active" or "paused", got ${JSON.stringify(status)}`, { status });
    }
    return (await this.backend()).listSchedules(status);
  }

  async get(name: string): Promise<ScheduleRecord | null> {
    return (await this.backend()).getSchedule(checkName(name));
  }

  /**
   * Enqueue a schedule's job now, with its args, queue, priority and attempts, without touching
   * its `next_run` or run history. Returns the job id. `SONIQ_NOT_FOUND` when there is no such schedule.
   */
  async trigger(name: string): Promise<string> {
    const backend = await this.backend();
    const schedule = await backend.getSchedule(checkName(name));
    if (!schedule) throw new SoniqError(ErrorCodes.NOT_FOUND, `no schedule named "${name}"`, { schedule: name });
    const [id] = await backend.insertJobs([this.jobFor(schedule)]);
    return id!;
  }

  // ---------------------------------------------------------------- the scheduler loop

  get running(): boolean {
    return this.loop !== null;
  }

  /**
   * One check: under the leader lock, read the active schedules from the database and fire each
   * due one. Does nothing (leader: false) when another scheduler holds the lock.
   */
  async tick(): Promise<TickResult> {
    const backend = await this.backend();
    const result: TickResult = { leader: false, fired: 0, nextDue: null };
    const seen = (at: Date) => {
      if (result.nextDue === null || at < result.nextDue) result.nextDue = at;
    };
    result.leader = await backend.withLeaderLock("scheduler", async () => {
      const schedules = await backend.listSchedules("active");
      const now = new Date();
      for (const schedule of schedules) {
        try {
          const fired = await this.fireIfDue(backend, schedule, now, seen);
          if (fired) result.fired++;
        } catch (error) {
          if (this.app.isClosed) throw error;
          this.logProblem(schedule.name, "schedule could not fire", error);
        }
      }
    });
    if (result.leader !== this.wasLeader) {
      this.app.logger.debug(result.leader ? "scheduler is the leader" : "another scheduler is the leader");
      this.wasLeader = result.leader;
    }
    return result;
  }

  private async fireIfDue(backend: StorageBackend, schedule: ScheduleRecord, now: Date, seen: (at: Date) => void): Promise<boolean> {
    const spec = decodeSpec(schedule.scheduleType, schedule.scheduleValue);
    if (schedule.nextRun === null) {
      // A row without next_run (written by hand, or by another tool): give it one, fire later.
      const nextRun = nextRunAfter(spec, now);
      await backend.upsertSchedule({ ...scheduleUpsertOf(schedule), nextRun });
      seen(nextRun);
      return false;
    }
    if (schedule.nextRun.getTime() > now.getTime()) {
      seen(schedule.nextRun);
      return false;
    }
    const job = this.jobFor(schedule);
    const nextRun = nextRunAfter(spec, now);
    let fired: boolean;
    try {
      fired = await backend.fireSchedule(schedule.name, schedule.nextRun, nextRun, job);
    } catch (error) {
      if (!job.uniqueJob || !isUniqueViolation(error)) throw error;
      // A unique job whose previous run is still queued: nothing was written (the insert and the
      // next_run update roll back together); the schedule stays due and fires once that run is claimed.
      this.app.logger.debug("schedule held back: its unique job is still queued", { schedule: schedule.name });
      return false;
    }
    seen(nextRun);
    if (fired) {
      this.app.logger.info("schedule fired", { schedule: schedule.name, jobId: job.id, due: schedule.nextRun.toISOString(), nextRun: nextRun.toISOString() });
    }
    return fired;
  }

  /** The job row for one run: built as `app.enqueue` builds it, with the schedule's attempts. */
  private jobFor(schedule: ScheduleRecord): NewJob {
    const job = this.app.buildJobRow(schedule.name, schedule.args ?? {}, { queue: schedule.queue, priority: schedule.priority });
    return { ...job, maxAttempts: schedule.maxAttempts };
  }

  /**
   * Run the scheduler loop in this process until stopped (signal, `stop()`, SIGINT/SIGTERM/SIGHUP or
   * `app.close()`). Stores the `app.periodic` schedules first. Any number of schedulers may run
   * against one database: one fires per tick, the others stand by and take over within one
   * check interval if it dies.
   */
  async run(options: RunSchedulerOptions = {}): Promise<SchedulerSummary> {
    const checkInterval = options.checkInterval ?? 30;
    if (typeof checkInterval !== "number" || !Number.isFinite(checkInterval) || checkInterval < 0.01 || checkInterval > 86_400) {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `checkInterval must be seconds from 0.01 to 86400, got ${JSON.stringify(checkInterval)}`, { checkInterval });
    }
    if (this.loop) throw new SoniqError(ErrorCodes.WORKER_RUNNING, "this Soniq instance's scheduler is already running");
    if (this.app.backend.kind === "postgres" && this.app.settings.poolMaxSize < 2) {
      // The leader lock holds one connection for the tick; reading and firing need another.
      throw new SoniqError(ErrorCodes.POOL_TOO_SMALL, `pool too small: the scheduler needs SONIQ_POOL_MAX_SIZE >= 2 (got ${this.app.settings.poolMaxSize})`);
    }
    this.stopping = false;
    const loop = (async () => {
      await this.app.ensureInitialized();
      return this.runLoop(checkInterval * 1000, options);
    })();
    this.loop = loop;
    try {
      return await loop;
    } finally {
      this.loop = null;
    }
  }

  /** Start the loop in the background (signals not handled unless asked). Errors are logged. */
  start(options: RunSchedulerOptions = {}): void {
    if (this.loop) throw new SoniqError(ErrorCodes.WORKER_RUNNING, "this Soniq instance's scheduler is already running");
    this.run({ handleSignals: false, ...options }).catch((error) => this.app.logger.error("scheduler stopped with an error", { error }));
  }

  /** Stop after the current tick; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop?.catch(() => {});
  }

  private async runLoop(checkMs: number, options: RunSchedulerOptions): Promise<SchedulerSummary> {
    const { logger } = this.app;
    const summary: SchedulerSummary = { ticks: 0, leaderTicks: 0, fired: 0 };
    const removeSignals = this.installSignals(options.handleSignals ?? true);
    const onAbort = () => void this.stop();
    options.signal?.addEventListener("abort", onAbort);
    if (options.signal?.aborted) this.stopping = true;
    let synced = false;
    logger.info("scheduler started", { checkInterval: checkMs / 1000, periodic: this.periodicNames.length });
    try {
      while (!this.stopping && !this.app.isClosed) {
        let delay = checkMs;
        try {
          if (!synced) {
            await this.syncPeriodic();
            synced = true;
          }
          const tick = await this.tick();
          summary.ticks++;
          if (tick.leader) summary.leaderTicks++;
          summary.fired += tick.fired;
          // Wake when the next schedule is due rather than up to a whole interval late.
          if (tick.nextDue) delay = Math.max(MIN_SLEEP_MS, Math.min(checkMs, tick.nextDue.getTime() - Date.now()));
        } catch (error) {
          if (this.app.isClosed) break;
          logger.error("scheduler tick failed", { error });
          delay = Math.min(checkMs, 60_000);
        }
        await this.sleep(delay);
      }
    } finally {
      removeSignals();
      options.signal?.removeEventListener("abort", onAbort);
      this.wasLeader = null;
      logger.info("scheduler stopped", { ...summary });
    }
    return summary;
  }

  /** Sleep up to `ms`; `stop()` wakes it, and `app.close()` is noticed within a second. */
  private async sleep(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.stopping && !this.app.isClosed) {
      const left = until - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 1000));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = null;
    }
  }

  private installSignals(enabled: boolean): () => void {
    if (!enabled) return () => {};
    return onShutdownSignals({
      onFirst: (signal) => {
        this.app.logger.info("scheduler shutting down gracefully; send the signal again to force exit", { signal });
        void this.stop();
      },
      onSecond: (signal) => {
        this.app.logger.warn("forced exit", { signal });
        process.exit(FORCED_EXIT_CODE);
      },
    });
  }

  // ---------------------------------------------------------------- helpers

  private async backend(): Promise<StorageBackend> {
    await this.app.ensureInitialized();
    return this.app.backend;
  }

  private resolveTarget(options: ScheduleOptions): { name: string; jobOptions?: ResolvedJobOptions; refQueue?: string; refSchema?: TSchema } {
    const pattern = this.app.settings.taskNamePattern;
    const explicit = options.name === undefined ? undefined : validateTaskName(options.name, pattern);
    const { target } = options;
    let fromTarget: string | undefined;
    let handleOptions: ResolvedJobOptions | undefined;
    let refQueue: string | undefined;
    let refSchema: TSchema | undefined;
    if (target === undefined || target === null) {
      fromTarget = undefined;
    } else if (isJobHandle(target)) {
      fromTarget = target.name;
      handleOptions = target.options;
    } else if (isTaskRef(target)) {
      fromTarget = target.name;
      refQueue = target.defaultQueue;
      refSchema = target.schema;
    } else if (typeof target === "string") {
      fromTarget = validateTaskName(target, pattern);
    } else {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, "scheduler.add: target must be a job handle, a taskRef or a task name", { received: typeof target });
    }
    if (explicit !== undefined && fromTarget !== undefined && explicit !== fromTarget) {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `scheduler.add: name "${explicit}" and target "${fromTarget}" disagree; pass one of them`, {
        name: explicit,
        target: fromTarget,
      });
    }
    const name = explicit ?? fromTarget;
    if (name === undefined) throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, "scheduler.add requires a target (job handle, taskRef or task name) or a name");
    const jobOptions = this.app.getDefinition(name)?.options ?? handleOptions;
    return { name, jobOptions, refQueue, refSchema };
  }

  private checkArgs(args: unknown, schema: TSchema | undefined, name: string | undefined, caller: string): JobArgs {
    serializeArgs(args, this.app.settings.maxArgsBytes, `${caller} args`);
    const problems = schema ? checkAgainst(schema, args) : null;
    if (problems) {
      throw new SoniqError(ErrorCodes.VALIDATION_FAILED, `invalid schedule args${name ? ` for ${name}` : ""}: ${problems}`, { taskName: name, problems });
    }
    return structuredClone(args) as JobArgs;
  }

  /** Log a failing schedule once an hour, not on every tick. */
  private logProblem(name: string, msg: string, error: unknown): void {
    const key = `${name}\0${(error as Error)?.message ?? String(error)}`;
    const now = Date.now();
    const last = this.loggedProblems.get(key);
    if (last !== undefined && now - last < PROBLEM_LOG_TTL_MS) return;
    if (this.loggedProblems.size >= 1024) this.loggedProblems.delete(this.loggedProblems.keys().next().value!);
    this.loggedProblems.set(key, now);
    this.app.logger.error(msg, { schedule: name, error, code: (error as SoniqError)?.code });
  }
}

function checkName(name: unknown): string {
  if (typeof name !== "string" || name.length === 0) {
    throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `schedule name must be a non-empty string, got ${JSON.stringify(name)}`, { name });
  }
  return name;
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  if (!e || typeof e !== "object") return false;
  return e.code === "23505" || e.name === "UniqueViolationError" || /unique constraint|unique_queued|duplicate key/i.test(String(e.message ?? ""));
}

function scheduleUpsertOf(s: ScheduleRecord) {
  return {
    name: s.name,
    scheduleType: s.scheduleType,
    scheduleValue: s.scheduleValue,
    priority: s.priority,
    queue: s.queue,
    maxAttempts: s.maxAttempts,
    args: s.args ?? {},
  };
}

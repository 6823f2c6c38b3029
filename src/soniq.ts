import type { Static, TSchema } from "@sinclair/typebox";
import { hostname } from "node:os";
import { basename } from "node:path";
import type postgres from "postgres";
import { PostgresBackend } from "./backends/postgres/index.ts";
import { createBackend, DEFAULT_SQLITE_PATH } from "./backends/resolve.ts";
import type { JobRecord, JobStatus, ListJobsFilter, NewJob, QueueBreakdown, QueueStats, StorageBackend, WorkerRecord } from "./backends/types.ts";
import { computeArgsHash } from "./core/hashing.ts";
import { describeSchema, listTaskRegistry, registerTaskNames, type TaskRegistryEntry } from "./task-registry.ts";
import {
  callerFile,
  checkAgainst,
  checkInt,
  checkQueueName,
  isJobHandle,
  isTaskRef,
  JobDefinition,
  resolveJobOptions,
  routeQueue,
  validateTaskName,
  type JobArgs,
  type JobContext,
  type JobHandle,
  type JobHandler,
  type JobOptions,
  type TaskRef,
} from "./core/job.ts";
import { serializeArgs } from "./core/json.ts";
import { isStorableText } from "./core/text.ts";
import { createLogger, type Logger, type LogSink } from "./core/logger.ts";
import { DeadLetterService } from "./dead-letter.ts";
import { ErrorCodes, SoniqError, show } from "./errors.ts";
import { resolveSettings, type Settings, type SettingsInput } from "./settings.ts";
import { Hooks, type AfterJobHook, type BeforeJobHook, type ErrorHook, type MetricsSink, type Middleware } from "./worker/hooks.ts";
import type { RetryPolicy } from "./core/retry.ts";
import { Worker, type WorkerOptions, type WorkerSummary } from "./worker/worker.ts";
import { runInline } from "./testing/inline.ts";
import { Scheduler, type PeriodicOptions, type RunSchedulerOptions, type SchedulerSummary } from "./scheduler/scheduler.ts";

export interface SoniqOptions extends SettingsInput {
  /**
   * A ready backend instance (tests, custom storage), or the kind of backend: `"memory"`,
   * `"sqlite"` (at `databaseUrl` when it names a SQLite file, else `./soniq.db`) or `"postgres"`
   * (at `databaseUrl`, else `postgres://postgres@localhost/soniq`). Omitted: chosen from `databaseUrl`.
   */
  backend?: StorageBackend | BackendKind;
  /** Where structured log lines go (default: stderr). */
  logSink?: LogSink;
  /** Metrics sinks; see docs/observability.md. */
  metrics?: MetricsSink | MetricsSink[];
  /** Decides each retry's delay, or gives up (null: dead-letter as `permanent_failure`); see docs/api.md. */
  retryPolicy?: RetryPolicy;
  /**
   * `"inline"` (tests): `enqueue()` runs the job's queue's due jobs before it returns, as a worker
   * would, retries back to back. Memory backend unless `backend` or `databaseUrl` is given. See docs/testing.md.
   */
  testing?: "inline";
}

export interface EnqueueOptions {
  /** 1..1000, lower runs first; overrides the job's default. */
  priority?: number;
  queue?: string;
  /** Not before this time: a Date, or seconds from now. */
  scheduledAt?: Date | number;
  /** Deduplicate by args hash while a matching job is queued. */
  unique?: boolean;
  /** Explicit dedup key: while a queued job has it, enqueue returns that job's id. */
  dedupKey?: string;
  /** A transaction of postgres.js, Bun.sql, node-postgres, Drizzle or Kysely: the job exists iff it commits. */
  connection?: unknown;
}

export interface EnqueueManyOptions {
  priority?: number;
  queue?: string;
  scheduledAt?: Date | number;
  connection?: unknown;
}

export interface JobStatusInfo {
  id: string;
  status: JobStatus | "dead_letter";
  jobName: string;
  attempts: number;
  maxAttempts: number;
  queue: string;
  result: unknown;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type BackendKind = "memory" | "sqlite" | "postgres";

type AnyTarget = JobHandle<any, any> | TaskRef<any> | string;
/**
 * Args as they can be enqueued: JSON values. A `Date` (and a `Map`, `Set` or `RegExp`) would reach
 * the handler as a string or `{}`, so a field typed with one accepts nothing (`never`): pass an
 * ISO string or a number and convert in the handler. Enqueue refuses them at run time too.
 */
export type EnqueueableArgs<A> = A extends Date | Map<any, any> | Set<any> | RegExp
  ? never
  : A extends (...args: any[]) => any
    ? A
    : A extends readonly (infer U)[]
      ? EnqueueableArgs<U>[]
      : A extends object
        ? { [K in keyof A]: EnqueueableArgs<A[K]> }
        : A;
type ArgsOf<T> = T extends JobHandle<infer A, any> ? EnqueueableArgs<A> : T extends TaskRef<infer A> ? EnqueueableArgs<A> : JobArgs;
/** Args may be omitted when every field is optional. */
type ArgsParam<A> = {} extends A ? [args?: A, options?: EnqueueOptions] : [args: A, options?: EnqueueOptions];

const ENQUEUE_OPTION_KEYS = new Set(["priority", "queue", "scheduledAt", "unique", "dedupKey", "connection"]);
const WARN_TTL_MS = 3_600_000;

const APP_BRAND: unique symbol = Symbol.for("soniq.app") as never;

/** True for a Soniq app, even one built by another copy of the library (a job module's own install). */
export function isSoniqApp(value: unknown): value is Soniq {
  return typeof value === "object" && value !== null && (value as { [APP_BRAND]?: unknown })[APP_BRAND] === true;
}

export class Soniq {
  readonly [APP_BRAND] = true;
  readonly settings: Readonly<Settings>;
  readonly logger: Logger;
  readonly deadLetter: DeadLetterService;
  private readonly registry = new Map<string, JobDefinition>();
  private readonly hooks: Hooks;
  private readonly retryPolicy: RetryPolicy | undefined;
  /** `new Soniq({ testing: "inline" })`: every enqueue runs its queue's due jobs before returning. */
  readonly testing: "inline" | null;
  private _backend: StorageBackend | undefined;
  private initializing: Promise<void> | null = null;
  private closed = false;
  private readonly workers = new Set<Worker>();
  /** Enqueue calls made before close(): close() lets them finish before it closes the backend. */
  private readonly calls = new Set<Promise<unknown>>();
  private readonly warnedUnknown = new Map<string, number>();
  private readonly producerId: string;
  private warnedPeriodic = false;

  constructor(options: SoniqOptions = {}) {
    const { backend, logSink, metrics, retryPolicy, testing, ...settingsInput } = options;
    if (testing !== undefined && testing !== "inline") throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `testing must be "inline", got ${show(testing)}`);
    if (testing && backend === undefined && settingsInput.databaseUrl === undefined) settingsInput.databaseUrl = "memory:"; // never SONIQ_DATABASE_URL
    this.testing = testing ?? null;
    if (typeof backend === "string") settingsInput.databaseUrl = backendUrl(backend, settingsInput.databaseUrl);
    else if (backend !== undefined && !isStorageBackend(backend)) {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `backend must be "memory", "sqlite", "postgres" or a StorageBackend instance, got ${show(backend)}`);
    }
    this.settings = Object.freeze(resolveSettings(settingsInput));
    this.logger = createLogger(this.settings.logLevel, logSink);
    this.hooks = new Hooks(this.logger);
    if (metrics) this.hooks.metrics.push(...(Array.isArray(metrics) ? metrics : [metrics]));
    this._backend = typeof backend === "string" ? undefined : backend;
    if (retryPolicy !== undefined && (retryPolicy === null || typeof retryPolicy.delayFor !== "function")) {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, "retryPolicy must be an object with a delayFor({ attempt, job, error }) method");
    }
    this.retryPolicy = retryPolicy;
    this.deadLetter = new DeadLetterService(() => this.ready());
    this.producerId =
      this.settings.producerId === "auto" ? `${hostname()}:${process.pid}:${basename(process.argv[1] ?? process.argv0)}` : this.settings.producerId;
  }

  /** The storage backend (created on first use; connections open lazily). */
  get backend(): StorageBackend {
    this._backend ??= createBackend(this.settings.databaseUrl, this.settings, this.logger);
    return this._backend;
  }

  /** Soniq's own postgres.js client, for `app.sql.begin(tx => app.enqueue(job, args, { connection: tx }))`. */
  get sql(): postgres.Sql {
    const backend = this.backend;
    if (backend instanceof PostgresBackend) return backend.sql;
    throw new SoniqError(ErrorCodes.UNSUPPORTED, `app.sql needs the Postgres backend (this app uses ${backend.kind})`);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Open connections (idempotent). Tables must exist: run `setup()` or `soniq setup` once per deploy. */
  async ensureInitialized(): Promise<void> {
    if (this.closed) throw new SoniqError(ErrorCodes.APP_CLOSED, "cannot use a closed Soniq instance");
    this.initializing ??= this.backend.initialize().catch((cause) => {
      this.initializing = null;
      throw new SoniqError(ErrorCodes.INIT_ERROR, `Soniq initialization failed: ${(cause as Error).message}`, {}, { cause });
    });
    return this.initializing;
  }

  private async ready(): Promise<StorageBackend> {
    await this.ensureInitialized();
    return this.backend;
  }

  /** Create or upgrade the schema (idempotent, safe when run concurrently). Returns migrations applied. */
  async setup(): Promise<number> {
    if (this.closed) throw new SoniqError(ErrorCodes.APP_CLOSED, "cannot use a closed Soniq instance");
    const applied = await this.backend.setup();
    await this.ensureInitialized();
    return applied;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.workers].map((w) => w.stop().catch(() => {})));
    await Promise.allSettled([...this.calls]);
    await this._scheduler?.stop();
    if (this._backend) await this._backend.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- defining jobs ----

  /** Register a handler. Args are typed from `validate` (a TypeBox schema) or from the handler. */
  job<S extends TSchema, R>(options: JobOptions<S> & { validate: S }, handler: JobHandler<Static<S>, R>): JobHandle<Static<S>, Awaited<R>>;
  job<S extends TSchema, R>(options: JobOptions<S> & { argsModel: S }, handler: JobHandler<Static<S>, R>): JobHandle<Static<S>, Awaited<R>>;
  job<A extends JobArgs = JobArgs, R = unknown>(options: JobOptions<undefined>, handler: JobHandler<A, R>): JobHandle<A, Awaited<R>>;
  job<A extends JobArgs = JobArgs, R = unknown>(handler: JobHandler<A, R>): JobHandle<A, Awaited<R>>;
  job(optionsOrHandler: JobOptions | JobHandler<any, unknown>, maybeHandler?: JobHandler<any, unknown>): JobHandle<any, any> {
    const [options, handler] = typeof optionsOrHandler === "function" ? [{}, optionsOrHandler] : [optionsOrHandler ?? {}, maybeHandler];
    if (typeof handler !== "function") throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, "app.job(options, handler): handler must be a function");
    const resolved = resolveJobOptions(options as JobOptions, handler, { pattern: this.settings.taskNamePattern, routeMap: this.settings.routeMap }, callerFile());
    const definition = new JobDefinition(resolved, handler);
    if (this.registry.has(resolved.name)) this.logger.warn("job registered twice; the last registration wins", { job: resolved.name });
    this.registry.set(resolved.name, definition);
    const brand = Symbol.for("soniq.job");
    return Object.freeze({
      [brand]: true as const,
      name: resolved.name,
      options: Object.freeze({ ...resolved }),
      run: async (args: JobArgs, ctx: Partial<JobContext> = {}) =>
        handler(args, {
          jobId: "direct",
          jobName: resolved.name,
          attempt: 1,
          maxAttempts: resolved.retries + 1,
          queue: resolved.queue,
          workerId: "",
          scheduledAt: null,
          createdAt: new Date(),
          signal: new AbortController().signal,
          ...ctx,
        }),
    }) as unknown as JobHandle<any, any>;
  }

  /** Registered task names. */
  get jobNames(): string[] {
    return [...this.registry.keys()];
  }

  getDefinition(name: string): JobDefinition | undefined {
    return this.registry.get(name);
  }

  // ---- hooks ----

  beforeJob(hook: BeforeJobHook): this {
    this.hooks.before.push(hook);
    return this;
  }

  afterJob(hook: AfterJobHook): this {
    this.hooks.after.push(hook);
    return this;
  }

  onError(hook: ErrorHook): this {
    this.hooks.onError.push(hook);
    return this;
  }

  /** Wrap every handler run: `app.middleware(async (ctx, next) => next())`; the first registered is outermost. */
  middleware(fn: Middleware): this {
    if (typeof fn !== "function") throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, "app.middleware(fn): fn must be a function (ctx, next) => result");
    this.hooks.middleware.push(fn);
    return this;
  }

  // ---- enqueueing ----

  /** Enqueue by handle, task name or `taskRef`. Returns the job id (an existing one when deduplicated). */
  async enqueue<T extends AnyTarget>(target: T, ...rest: ArgsParam<ArgsOf<T>>): Promise<string> {
    const [args, options = {}] = rest as [unknown, EnqueueOptions | undefined];
    const job = this.buildJob(target, args ?? {}, options, "enqueue");
    const [id] = await this.track(this.insert([job], options.connection));
    if (this.testing && options.connection === undefined) await this.track(this.runDue({ queues: [job.queue] }));
    return id!;
  }

  /**
   * Write rows. A database that cannot be reached fails with SONIQ_UNAVAILABLE, after
   * `enqueueRetries` more tries (100 ms, doubling, at most 2 s apart). Inside a caller's
   * transaction nothing is retried: the transaction is the caller's to retry.
   */
  private async insert(jobs: NewJob[], connection: unknown): Promise<string[]> {
    const backend = await this.ready();
    const tries = connection === undefined ? this.settings.enqueueRetries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await backend.insertJobs(jobs, connection);
      } catch (error) {
        if (error instanceof SoniqError || !backend.isTransientError(error)) throw error;
        if (attempt >= tries) {
          const reason = error instanceof Error ? error.message : String(error);
          throw new SoniqError(ErrorCodes.UNAVAILABLE, `database unavailable: ${reason}`, { tries: attempt }, { cause: error });
        }
        await Bun.sleep(Math.min(2000, 100 * 2 ** (attempt - 1)));
      }
    }
  }

  /** Count a call in flight until it settles (see `calls`). */
  private track<T>(call: Promise<T>): Promise<T> {
    this.calls.add(call);
    const forget = () => void this.calls.delete(call);
    call.then(forget, forget);
    return call;
  }

  /** Enqueue many jobs of one target in one round trip. Returns ids in input order. */
  async enqueueMany<T extends AnyTarget>(target: T, argsList: readonly ArgsOf<T>[], options: EnqueueManyOptions = {}): Promise<string[]> {
    if (!Array.isArray(argsList)) throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, "enqueueMany(target, argsList): argsList must be an array");
    for (const key of Object.keys(options)) {
      if (!["priority", "queue", "scheduledAt", "connection"].includes(key)) {
        throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `unknown enqueueMany option "${key}"`, { option: key });
      }
    }
    if (argsList.length === 0) return [];
    const jobs = argsList.map((args, index) => {
      try {
        return this.buildJob(target, args, options, "enqueueMany");
      } catch (error) {
        if (error instanceof SoniqError) throw new SoniqError(error.code, `argsList[${index}]: ${error.message.replace(/^\[[A-Z_]+\] /, "")}`, { ...error.context, index });
        throw error;
      }
    });
    if (jobs[0]!.uniqueJob) {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `${jobs[0]!.jobName} is a unique job: enqueue unique jobs one at a time`);
    }
    const ids = await this.track(this.insert(jobs, options.connection));
    if (this.testing && options.connection === undefined) await this.track(this.runDue({ queues: [jobs[0]!.queue] }));
    return ids;
  }

  /** @internal Run the due jobs of `queues` now, retries without their delay (`testing: "inline"`, soniq/testing's drain). */
  runDue(options: Pick<WorkerOptions, "queues" | "concurrency" | "maxJobs"> = {}): Promise<WorkerSummary> {
    const lifecycle = { started: (w: Worker) => this.workers.add(w), ended: (w: Worker) => this.workers.delete(w) };
    const { backend, registry, settings, hooks, logger, retryPolicy } = this;
    return this.ensureInitialized().then(() => runInline({ backend, registry, settings, hooks, logger, lifecycle, retryPolicy }, options));
  }

  /** Enqueue to run at `runAt` (a Date, or seconds from now). */
  async schedule<T extends AnyTarget>(target: T, runAt: Date | number, args?: ArgsOf<T>, options: Omit<EnqueueOptions, "scheduledAt"> = {}): Promise<string> {
    return this.enqueue(target as AnyTarget, (args ?? {}) as JobArgs, { ...options, scheduledAt: runAt });
  }

  /** Validate everything and build the row; throws before anything is written. */
  private buildJob(target: AnyTarget, args: unknown, options: EnqueueOptions, caller: string): NewJob {
    if (this.closed) throw new SoniqError(ErrorCodes.APP_CLOSED, "cannot use a closed Soniq instance");
    if (options === null || typeof options !== "object") throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `${caller} options must be an object`);
    for (const key of Object.keys(options)) {
      if (!ENQUEUE_OPTION_KEYS.has(key)) throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `unknown ${caller} option "${key}"`, { option: key });
    }
    let name: string;
    let definition: JobDefinition | undefined;
    let refSchema: TSchema | undefined;
    let refQueue: string | undefined;
    if (isJobHandle(target)) {
      name = target.name;
      definition = this.registry.get(name);
      if (!definition) throw new SoniqError(ErrorCodes.UNKNOWN_TASK_NAME, `job handle "${name}" belongs to another Soniq instance`, { taskName: name });
    } else if (isTaskRef(target)) {
      name = target.name;
      definition = this.registry.get(name);
      refSchema = target.schema;
      refQueue = target.defaultQueue;
    } else if (typeof target === "string") {
      name = validateTaskName(target, this.settings.taskNamePattern);
      definition = this.registry.get(name);
      if (!definition) this.checkUnknownName(name);
    } else {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `${caller} target must be a job handle, a task name or a taskRef`, { received: typeof target });
    }

    const argsJson = serializeArgs(args, this.settings.maxArgsBytes);
    const problems = refSchema ? checkAgainst(refSchema, args) : definition?.argsProblems(args);
    if (problems) {
      throw new SoniqError(ErrorCodes.VALIDATION_FAILED, `invalid arguments for ${name}: ${problems}`, { taskName: name, problems });
    }

    const priority = options.priority ?? definition?.options.priority ?? 100;
    checkInt("priority", priority, 1, 1000);
    // A registered job's queue already went through routeMap (at registration, unless the job names one).
    const queue = checkQueueName(options.queue ?? refQueue ?? definition?.options.queue ?? routeQueue(name, this.settings.routeMap) ?? "default");
    const dedupKey = options.dedupKey ?? null;
    if (dedupKey !== null && (typeof dedupKey !== "string" || dedupKey.length === 0 || !isStorableText(dedupKey))) {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, "dedupKey must be a non-empty string", { dedupKey });
    }
    if (options.unique !== undefined && typeof options.unique !== "boolean") {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `unique must be true or false, got ${show(options.unique)}`);
    }
    const unique = dedupKey === null && (options.unique ?? definition?.options.unique ?? false);
    if (options.connection !== undefined && !this.backend.capabilities.transactionalEnqueue) {
      throw new SoniqError(ErrorCodes.UNSUPPORTED, `transactional enqueue (connection) needs the Postgres backend; this app uses ${this.backend.kind}`);
    }
    return {
      id: Bun.randomUUIDv7(),
      jobName: name,
      argsJson,
      argsHash: unique ? computeArgsHash(args as JobArgs) : null, // the args as given: -0 and 1e-7 hash as Python writes them
      maxAttempts: definition ? definition.maxAttempts : this.settings.maxRetries + 1,
      queue,
      priority,
      uniqueJob: unique,
      dedupKey,
      scheduledAt: toScheduledAt(options.scheduledAt),
      producerId: this.producerId,
    };
  }

  private checkUnknownName(name: string): void {
    const mode = this.settings.enqueueValidation;
    if (mode === "strict") {
      throw new SoniqError(
        ErrorCodes.UNKNOWN_TASK_NAME,
        `no job named "${name}" is registered on this Soniq instance. Register it, enqueue a taskRef, or set SONIQ_ENQUEUE_VALIDATION=warn|none for producer-only services`,
        { taskName: name, mode },
      );
    }
    if (mode === "warn") {
      const now = Date.now();
      const last = this.warnedUnknown.get(name);
      if (last === undefined || now - last > WARN_TTL_MS) {
        if (this.warnedUnknown.size >= 1024) this.warnedUnknown.delete(this.warnedUnknown.keys().next().value!);
        this.warnedUnknown.set(name, now);
        this.logger.warn("enqueueing a task name not registered here", { taskName: name, code: ErrorCodes.UNKNOWN_TASK_NAME });
      }
    }
  }

  // ---- inspecting and managing ----

  async getJob(id: string): Promise<JobRecord | null> {
    return (await this.ready()).getJob(id);
  }

  /** The handler's return value once the job is done; null before that (or if it returned nothing). */
  async getResult<R = unknown>(idOrHandle: string): Promise<R | null> {
    const job = await this.getJob(idOrHandle);
    return job?.status === "done" ? ((job.result ?? null) as R | null) : null;
  }

  /** Status with result and last error; `dead_letter` once the job left for the dead-letter queue. */
  async getJobStatus(id: string): Promise<JobStatusInfo | null> {
    const backend = await this.ready();
    const job = await backend.getJob(id);
    if (job) {
      const { status, jobName, attempts, maxAttempts, queue, result, lastError, createdAt, updatedAt } = job;
      return { id, status, jobName, attempts, maxAttempts, queue, result: result ?? null, lastError, createdAt, updatedAt };
    }
    const dead = await backend.getDeadLetter(id);
    if (!dead) return null;
    return {
      id,
      status: "dead_letter",
      jobName: dead.jobName,
      attempts: dead.attempts,
      maxAttempts: dead.maxAttempts,
      queue: dead.queue,
      result: null,
      lastError: dead.lastError,
      createdAt: dead.originalCreatedAt,
      updatedAt: dead.movedAt,
    };
  }

  /** Cancel a queued job. False when it is processing, finished or missing. */
  async cancelJob(id: string): Promise<boolean> {
    return (await this.ready()).cancelJob(id);
  }

  /** Delete a job row in any state. */
  async deleteJob(id: string): Promise<boolean> {
    return (await this.ready()).deleteJob(id);
  }

  async listJobs(filter: ListJobsFilter = {}): Promise<JobRecord[]> {
    if (filter.limit !== undefined) checkInt("limit", filter.limit, 0, 100_000);
    if (filter.offset !== undefined) checkInt("offset", filter.offset, 0, Number.MAX_SAFE_INTEGER);
    return (await this.ready()).listJobs(filter);
  }

  /** `{ total, queued, processing, done, dead_letter, cancelled }`. */
  async getQueueStats(): Promise<QueueStats> {
    return (await this.ready()).getQueueStats();
  }

  /** Per-queue counts and the age of the oldest due job. */
  async getQueueBreakdown(): Promise<QueueBreakdown[]> {
    return (await this.ready()).getQueueBreakdown();
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    return (await this.ready()).listWorkers();
  }

  // ---- task registry ----

  /** The id this app's rows in `soniq_task_registry` carry when no worker id is given. */
  private readonly registryId = crypto.randomUUID();

  /**
   * Record this app's registered task names in `soniq_task_registry` (one row per task and
   * worker, `last_seen_at` = now; observability only, enqueue never reads it). Idempotent: a
   * second call refreshes `last_seen_at`. Workers call it when they start; `soniq tasks-check`
   * reads the table. Returns how many names were recorded.
   */
  async registerTasks(options: { workerId?: string } = {}): Promise<number> {
    const workerId = options.workerId ?? this.registryId;
    if (typeof workerId !== "string" || workerId.length === 0 || !isStorableText(workerId)) {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, "registerTasks: workerId must be a non-empty string", { workerId });
    }
    const tasks = [...this.registry.values()].map((d) => ({ taskName: d.name, argsModelRepr: describeSchema(d.options.schema) }));
    return registerTaskNames(await this.ready(), tasks, workerId);
  }

  /** Every row of `soniq_task_registry` (any worker, any service sharing the database). */
  async listTaskRegistry(): Promise<TaskRegistryEntry[]> {
    return listTaskRegistry(await this.ready());
  }

  // ---- workers ----

  /** Build a worker without starting it; `await worker.run()`, `await worker.stop()`. */
  createWorker(options: WorkerOptions = {}): Worker {
    const concurrency = options.concurrency ?? this.settings.concurrency;
    checkInt("concurrency", concurrency, 1, 1000);
    if (this.backend.kind === "postgres" && concurrency > 0) {
      // Each flush, claim, heartbeat and LISTEN needs a connection; the handlers' own queries need more.
      const needed = Math.min(concurrency, 8) + this.settings.poolHeadroom;
      if (needed > this.settings.poolMaxSize) {
        throw new SoniqError(
          ErrorCodes.POOL_TOO_SMALL,
          `pool too small: SONIQ_POOL_MAX_SIZE=${this.settings.poolMaxSize} < ${needed} (min(SONIQ_CONCURRENCY, 8) + SONIQ_POOL_HEADROOM)`,
        );
      }
    }
    if (!options.runOnce && (this._scheduler?.periodicNames.length ?? 0) > 0 && !this.warnedPeriodic && !this.settings.schedulerSuppressWarning) {
      this.warnedPeriodic = true;
      this.logger.warn(
        "periodic jobs are registered, but workers do not fire them: run `soniq scheduler` (or app.runScheduler()) once per deployment " +
          "(SONIQ_SCHEDULER_SUPPRESS_WARNING=1 silences this)",
        { periodic: this._scheduler!.periodicNames.length },
      );
    }
    // Every worker of this app, however it was made, is stopped (and awaited) by close().
    const lifecycle = {
      started: (w: Worker) => this.workers.add(w),
      ended: (w: Worker) => this.workers.delete(w),
      // As Python's workers do, best effort: Python's `tasks-check` and dashboard read this table.
      registered: (workerId: string) =>
        void this.track(this.registerTasks({ workerId })).catch((error) => this.logger.debug("could not record task names in soniq_task_registry", { error })),
    };
    return new Worker(
      { backend: this.backend, registry: this.registry, settings: this.settings, hooks: this.hooks, logger: this.logger, lifecycle, retryPolicy: this.retryPolicy },
      { ...options, concurrency, queues: options.queues ?? this.settings.queues ?? null },
    );
  }

  /** Run a worker in this process until stopped (or until the queue is drained with `runOnce`). */
  async runWorker(options: WorkerOptions = {}): Promise<WorkerSummary> {
    const worker = this.createWorker(options);
    await this.ensureInitialized();
    return worker.run();
  }

  // ---- scheduling ----

  private _scheduler: Scheduler | undefined;

  /** Recurring schedules stored in the database: `add`, `pause`, `resume`, `remove`, `list`, `get`, `trigger`. */
  get scheduler(): Scheduler {
    this._scheduler ??= new Scheduler(this);
    return this._scheduler;
  }

  /** Register a job (as `app.job`) that a scheduler (`app.runScheduler()`, `soniq scheduler`) enqueues on `cron` or `every`. */
  periodic<S extends TSchema, R>(options: PeriodicOptions<Static<S>> & JobOptions<S> & { validate: S }, handler: JobHandler<Static<S>, R>): JobHandle<Static<S>, Awaited<R>>;
  periodic<S extends TSchema, R>(options: PeriodicOptions<Static<S>> & JobOptions<S> & { argsModel: S }, handler: JobHandler<Static<S>, R>): JobHandle<Static<S>, Awaited<R>>;
  periodic<A extends JobArgs = JobArgs, R = unknown>(options: PeriodicOptions<A> & JobOptions<undefined>, handler: JobHandler<A, R>): JobHandle<A, Awaited<R>>;
  periodic(options: PeriodicOptions & JobOptions, handler: JobHandler<any, unknown>): JobHandle<any, any> {
    return this.scheduler.definePeriodic(options, handler);
  }

  /** Run the scheduler loop in this process until stopped; see docs/scheduling.md. */
  async runScheduler(options: RunSchedulerOptions = {}): Promise<SchedulerSummary> {
    return this.scheduler.run(options);
  }

  /** @internal The row `app.enqueue(name, args, { queue, priority })` would insert (used by the scheduler). */
  buildJobRow(name: string, args: unknown, options: { queue?: string; priority?: number }): NewJob {
    return this.buildJob(name, args, { queue: options.queue, priority: options.priority }, "scheduler");
  }
}

/** Python's default database URL, used by `backend: "postgres"` when no Postgres URL is given. */
const DEFAULT_POSTGRES_URL = "postgres://postgres@localhost/soniq";

function urlKind(url: string): BackendKind | undefined {
  const u = url.trim();
  if (/^postgres(ql)?:\/\//i.test(u)) return "postgres";
  if (u === "memory:" || u === "memory://") return "memory";
  if (u.startsWith("sqlite:") || /\.(db|sqlite3?)$/i.test(u)) return "sqlite";
  return undefined;
}

/**
 * The database URL a `backend` kind stands for. A `databaseUrl` option of another kind is a
 * mistake (refused); SONIQ_DATABASE_URL is used when it is of the same kind, else ignored (the
 * code's explicit `backend` wins over the environment).
 */
function backendUrl(kind: string, optionUrl: string | undefined, env: Record<string, string | undefined> = process.env): string {
  if (kind !== "memory" && kind !== "sqlite" && kind !== "postgres") {
    throw new SoniqError(ErrorCodes.INVALID_SETTING, `unknown backend ${JSON.stringify(kind)}: use "postgres", "sqlite" or "memory" (or a StorageBackend instance)`, {
      setting: "backend",
      value: kind,
    });
  }
  if (optionUrl !== undefined) {
    if (urlKind(optionUrl) !== kind) {
      throw new SoniqError(ErrorCodes.INVALID_SETTING, `backend "${kind}" and databaseUrl disagree: the URL is not a ${kind} URL (drop one of them)`, {
        setting: "backend",
        value: kind,
      });
    }
    return optionUrl;
  }
  const envUrl = env.SONIQ_DATABASE_URL;
  if (envUrl && urlKind(envUrl) === kind) return envUrl;
  return kind === "memory" ? "memory:" : kind === "sqlite" ? DEFAULT_SQLITE_PATH : DEFAULT_POSTGRES_URL;
}

function isStorageBackend(value: unknown): value is StorageBackend {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as StorageBackend).kind === "string" &&
    typeof (value as StorageBackend).insertJobs === "function" &&
    typeof (value as StorageBackend).claimJobs === "function"
  );
}

/** The run times every backend stores faithfully: years 1 to 9999, as in Python's datetime. */
const EARLIEST_RUN_AT = new Date("0001-01-01T00:00:00Z").getTime();
const LATEST_RUN_AT = new Date("9999-12-31T23:59:59.999Z").getTime();

function toScheduledAt(value: Date | number | undefined): Date | null {
  if (value === undefined || value === null) return null;
  let runAt: Date;
  if (value instanceof Date) {
    runAt = value;
  } else if (typeof value === "number" && Number.isFinite(value) && value >= 0) {
    if (value === 0) return null;
    runAt = new Date(Date.now() + value * 1000);
  } else {
    throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `scheduledAt must be a Date or seconds from now (>= 0), got ${show(value)}`);
  }
  const time = runAt.getTime();
  if (!(time >= EARLIEST_RUN_AT && time <= LATEST_RUN_AT)) {
    throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `scheduledAt must fall within the years 1 to 9999, got ${show(value)}`, {
      scheduledAt: Number.isNaN(time) ? "Invalid Date" : show(value),
    });
  }
  return runAt;
}

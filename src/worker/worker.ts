import { hostname } from "node:os";
import type { ClaimedJob, DeadLetterReason, JobOutcome, StorageBackend } from "../backends/types.ts";
import type { JobContext, JobDefinition } from "../core/job.ts";
import { serializeJson } from "../core/json.ts";
import type { Logger } from "../core/logger.ts";
import { isPermanentError, isSnooze, type Snooze } from "../core/control.ts";
import { computeRetryDelay, type RetryPolicy } from "../core/retry.ts";
import { forceExit, onShutdownSignals } from "../core/signals.ts";
import { storableText } from "../core/text.ts";
import type { Settings } from "../settings.ts";
import { VERSION } from "../version.ts";
import { OutcomeCompleter } from "./completer.ts";
import { startHeartbeat } from "./heartbeat.ts";
import { Prefetch } from "./prefetch.ts";

/** The most an adaptive prefetch holds (a worker burning through no-op jobs at full speed). */
const ADAPTIVE_PREFETCH_MAX = 1000;
import type { Hooks } from "./hooks.ts";

export const MAX_ERROR_LENGTH = 8192;

export interface WorkerOptions {
  /** Jobs run at once (default: the `concurrency` setting). */
  concurrency?: number;
  /** Queue names to consume; omitted = every queue. */
  queues?: string[] | null;
  /** Process what is due, then return. */
  runOnce?: boolean;
  /** Stop after this many jobs were claimed. */
  maxJobs?: number;
  /** Claimed jobs kept ready beyond the free slots (default: the `prefetch` setting, else adaptive: see prefetch.ts). */
  prefetch?: number;
  /** Stop gracefully when this signal aborts. */
  signal?: AbortSignal;
  /** Install SIGINT/SIGTERM/SIGHUP handlers (default: true unless runOnce). A second signal requeues claimed jobs and exits 130. */
  handleSignals?: boolean;
}

export interface WorkerSummary {
  workerId: string;
  processed: number;
  succeeded: number;
  retried: number;
  deadLettered: number;
  /** Attempts that returned a `Snooze` (put off without spending the attempt). */
  snoozed: number;
  /** Jobs put back to queued at shutdown. */
  requeued: number;
}

export interface WorkerDeps {
  backend: StorageBackend;
  registry: ReadonlyMap<string, JobDefinition>;
  settings: Settings;
  hooks: Hooks;
  logger: Logger;
  /** Decides retry delays instead of the job's retry options (`new Soniq({ retryPolicy })`). */
  retryPolicy?: RetryPolicy;
  /** Told when the worker starts and ends running, so its app can stop it on close(). */
  lifecycle?: { started(worker: Worker): void; registered?(workerId: string): void; ended(worker: Worker): void };
}

interface Running {
  job: ClaimedJob;
  abort: AbortController;
  promise: Promise<void>;
}

/** Hostnames already taken by live workers of this process ((hostname, pid) is unique in soniq_workers). */
const liveHostnames = new Set<string>();

/**
 * The worker engine. One loop claims batches sized to free slots plus a prefetch buffer,
 * runs handlers under the concurrency limit, and records outcomes in batches flushed every
 * few milliseconds. Heartbeats, stale-worker rescue and retention cleanup run beside it.
 */
export class Worker {
  readonly id: string = Bun.randomUUIDv7();
  private readonly concurrency: number;
  private readonly prefetcher: Prefetch;
  private readonly queues: readonly string[] | null;
  private readonly runOnce: boolean;
  private readonly maxJobs: number;
  private readonly deps: WorkerDeps;
  private readonly options: WorkerOptions;

  private workerId = this.id;
  private hostname = hostname();
  private readonly buffer: ClaimedJob[] = [];
  private readonly running = new Map<string, Running>();
  private readonly completer: OutcomeCompleter;
  /** A claim failed: it may have committed with its reply lost, leaving rows only the database knows. */
  private suspectOrphans = false;
  private readonly abandoned = new Set<string>();
  private claimed = 0;
  /** Failed claims in a row (backoff, and one log line per outage). */
  private claimFailures = 0;
  /** Set once the heartbeat runs; registration assumes a thread where the backend offers one. */
  private threadedHeartbeat: boolean;
  private stopping = false;
  private notified = false;
  private wakeUp: (() => void) | null = null;
  private started = false;
  private finished: Promise<WorkerSummary> | null = null;
  private readonly summary: WorkerSummary;

  constructor(deps: WorkerDeps, options: WorkerOptions = {}) {
    this.deps = deps;
    this.options = options;
    this.concurrency = options.concurrency ?? deps.settings.concurrency;
    const fixed = options.prefetch ?? deps.settings.prefetch;
    this.prefetcher = fixed === undefined ? Prefetch.adaptive(this.concurrency, ADAPTIVE_PREFETCH_MAX) : Prefetch.fixed(fixed);
    this.queues = options.queues && options.queues.length > 0 ? [...options.queues] : null;
    this.runOnce = options.runOnce ?? false;
    this.maxJobs = options.maxJobs ?? Number.POSITIVE_INFINITY;
    // A runOnce worker is short-lived and never rescues others: its heartbeat stays on the loop.
    this.threadedHeartbeat = !this.runOnce && deps.backend.heartbeatThread() !== null;
    this.summary = { workerId: this.id, processed: 0, succeeded: 0, retried: 0, deadLettered: 0, snoozed: 0, requeued: 0 };
    this.completer = new OutcomeCompleter({
      backend: deps.backend,
      settings: deps.settings,
      logger: deps.logger,
      workerId: () => this.workerId,
      backlogLimit: Math.max(deps.settings.completionBatchSize, this.concurrency + this.prefetcher.ceiling),
      onFlushed: () => this.wake(),
    });
  }

  /** Run until stopped (or, with runOnce, until nothing is due). */
  run(): Promise<WorkerSummary> {
    if (!this.finished) this.finished = this.main();
    return this.finished;
  }

  /** Stop claiming, drain running jobs up to the shutdown timeout, requeue the rest. */
  async stop(): Promise<WorkerSummary> {
    this.stopping = true;
    this.wake();
    return this.finished ?? this.summary;
  }

  get isRunning(): boolean {
    return this.started && !this.stopping;
  }

  private async main(): Promise<WorkerSummary> {
    this.started = true;
    this.deps.lifecycle?.started(this);
    try {
      return await this.registered();
    } finally {
      this.completer.close();
      this.deps.lifecycle?.ended(this);
    }
  }

  /**
   * Register in soniq_workers. (hostname, pid) is unique there, and two live processes can share
   * both (containers with a fixed hostname, each process pid 1): a row whose heartbeat is fresh
   * belongs to a live worker and is never taken over; this worker registers as `hostname#2`,
   * `#3`, ... instead. Only a stopped or stale row is taken over (its jobs requeued first).
   */
  private async register(): Promise<void> {
    const { backend, settings } = this.deps;
    for (let suffix = 1; ; suffix++) {
      [this.hostname, suffix] = claimHostname(suffix);
      let id: string | null;
      try {
        id = await backend.registerWorker(
          {
            id: this.id,
            hostname: this.hostname,
            pid: process.pid,
            queues: this.queues ? [...this.queues] : [],
            concurrency: this.concurrency,
            version: VERSION,
            metadata: this.rowMetadata(),
          },
          settings.heartbeatTimeout,
        );
      } catch (error) {
        liveHostnames.delete(this.hostname);
        throw error;
      }
      if (id !== null) {
        this.workerId = id;
        return;
      }
      liveHostnames.delete(this.hostname);
      if (suffix >= 1000) throw new Error(`no free worker identity for host ${hostname()} and pid ${process.pid}`);
    }
  }

  private async registered(): Promise<WorkerSummary> {
    const { backend, settings, logger } = this.deps;
    try {
      await this.register();
    } catch (error) {
      this.stopping = true;
      throw error;
    }
    this.summary.workerId = this.workerId;
    this.deps.lifecycle?.registered?.(this.workerId);
    logger.info("worker started", { workerId: this.workerId, concurrency: this.concurrency, queues: this.queues ?? "all", backend: backend.kind });

    const unlisten = this.runOnce
      ? async () => {}
      : await backend.listen((queue) => this.onNotify(queue)).catch((error) => {
          logger.warn("LISTEN unavailable, polling only", { error });
          return async () => {};
        });
    const heartbeat = await startHeartbeat({
      backend,
      threaded: this.threadedHeartbeat,
      workerId: this.workerId,
      intervalSeconds: settings.heartbeatInterval,
      // A loop blocked longer than heartbeatTimeout counts as dead, as a silent worker does for Python.
      stallLimitSeconds: settings.heartbeatTimeout,
      logger,
      metadata: () => this.rowMetadata({ running: this.running.size, buffered: this.buffer.length }),
    });
    this.threadedHeartbeat = heartbeat.threaded;
    const timers: ReturnType<typeof setInterval>[] = [];
    if (!this.runOnce) {
      void this.rescue().then(() => this.cleanup());
      timers.push(setInterval(() => void this.rescue(), settings.rescueInterval * 1000));
      timers.push(setInterval(() => void this.cleanup(), settings.cleanupInterval * 1000));
    }
    const removeSignals = this.installSignals();
    const onAbort = () => void this.stop();
    this.options.signal?.addEventListener("abort", onAbort);
    if (this.options.signal?.aborted) this.stopping = true;

    try {
      await this.loop();
      await this.drain();
    } finally {
      for (const timer of timers) clearInterval(timer);
      removeSignals();
      this.options.signal?.removeEventListener("abort", onAbort);
      await unlisten().catch(() => {});
      await this.completer.flushUntilEmpty(Math.max(settings.shutdownTimeout, 1) * 1000);
      await heartbeat.stop(); // after the last outcomes: the row stays alive while they are written
      await backend.markWorkerStopped(this.workerId).catch((error) => logger.warn("could not mark worker stopped", { error }));
      liveHostnames.delete(this.hostname);
      this.stopping = true;
      logger.info("worker stopped", { ...this.summary });
    }
    return this.summary;
  }

  private async loop(): Promise<void> {
    const { settings, logger } = this.deps;
    let queueEmpty = false;
    let idlePolls = 0;
    let flushesAtClaim = -1;
    while (!this.stopping) {
      const room = this.room();
      // Claim in batches: only once the buffer has drained to its low-water mark, so a busy
      // worker sends few, large claims instead of one small claim per finished job.
      if (this.suspectOrphans) await this.releaseOrphans();
      if (room > 0 && !queueEmpty && this.buffer.length <= this.lowWater) {
        let jobs: ClaimedJob[];
        flushesAtClaim = this.completer.writes;
        const claimStarted = performance.now();
        try {
          jobs = await this.deps.backend.claimJobs(this.workerId, this.queues, room);
          this.claimFailures = 0;
          this.prefetcher.claimed(performance.now() - claimStarted);
        } catch (error) {
          this.suspectOrphans = true;
          if (this.claimFailures === 0) logger.error("claim failed; retrying until the database answers", { error });
          await this.sleep(this.backoffMs(this.claimFailures++));
          continue;
        }
        this.claimed += jobs.length;
        this.buffer.push(...jobs);
        queueEmpty = jobs.length < room;
        if (jobs.length > 0) idlePolls = 0;
        this.dispatch();
      }
      if (this.claimed >= this.maxJobs && this.buffer.length === 0 && this.running.size === 0) break;
      if (this.runOnce && queueEmpty && this.buffer.length === 0 && this.running.size === 0) {
        // Retries with no delay become claimable once their outcome is written: flush and look again.
        if (this.completer.size === 0 && flushesAtClaim === this.completer.writes) break;
        await this.completer.flush();
        if (this.completer.size > 0) await this.sleep(this.deps.settings.errorRetryDelay * 1000); // the database refuses writes now
        queueEmpty = false;
        continue;
      }
      const canClaim = this.room() > 0 && this.buffer.length <= this.lowWater;
      if (!canClaim || (this.runOnce && queueEmpty)) {
        // Full, above the low-water mark, or (runOnce) drained: wait for a running job to finish.
        await this.sleep(Number.POSITIVE_INFINITY);
      } else if (queueEmpty) {
        const timedOut = await this.sleep(this.pollDelay(idlePolls++));
        if (timedOut) queueEmpty = false;
      }
      if (this.notified) queueEmpty = false;
      this.notified = false;
    }
  }

  /**
   * Free claim capacity: slots plus prefetch, minus what is running or buffered, within maxJobs.
   * None while outcomes cannot be written: a worker that cannot record results stops taking work.
   */
  private room(): number {
    if (this.completer.backlogged) return 0;
    return Math.min(this.concurrency + this.prefetcher.value - this.running.size - this.buffer.length, this.maxJobs - this.claimed);
  }

  private get lowWater(): number {
    return Math.floor(this.prefetcher.value / 2);
  }

  /** Requeue processing rows of ours that this process does not hold (see `suspectOrphans`). */
  private async releaseOrphans(): Promise<void> {
    const held = [...this.running.keys(), ...this.buffer.map((j) => j.id), ...this.completer.heldIds()];
    try {
      const released = await this.deps.backend.requeueOrphans(this.workerId, held);
      this.suspectOrphans = false;
      if (released) this.deps.logger.warn("requeued jobs whose claim reply was lost", { jobs: released });
    } catch (error) {
      if (this.claimFailures === 0) this.deps.logger.warn("could not requeue orphaned claims yet", { error });
      await this.sleep(this.backoffMs(this.claimFailures++));
    }
  }

  /**
   * Wait after the n-th failure in a row to reach the database: 50 ms, doubling, at most
   * min(errorRetryDelay, 1 s), so claiming resumes within about a second of the database's return.
   */
  private backoffMs(failures: number): number {
    const cap = Math.min(this.deps.settings.errorRetryDelay, 1) * 1000;
    return Math.min(cap, 50 * 2 ** Math.min(failures, 16));
  }

  /** Jittered poll delay; without LISTEN it backs off from 1/8 of the poll interval up to all of it. */
  private pollDelay(idlePolls: number): number {
    const { pollInterval } = this.deps.settings;
    const base = this.deps.backend.capabilities.pushNotify ? pollInterval : Math.min(pollInterval, (pollInterval / 8) * 2 ** idlePolls);
    return base * 1000 * (0.9 + Math.random() * 0.2);
  }

  private onNotify(queue: string): void {
    if (this.queues && !this.queues.includes(queue)) return;
    this.notified = true;
    this.wake();
  }

  private wake(): void {
    const resolve = this.wakeUp;
    this.wakeUp = null;
    resolve?.();
  }

  /** Sleep until woken or `ms` passes; resolves true on timeout. */
  private sleep(ms: number): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => { this.wakeUp = null; resolve(true); }, ms) : null;
      this.wakeUp = () => {
        if (timer) clearTimeout(timer);
        resolve(false);
      };
    });
  }

  private dispatch(): void {
    while (this.running.size < this.concurrency && this.buffer.length > 0 && !this.stopping) {
      const job = this.buffer.shift()!;
      const abort = new AbortController();
      const entry: Running = { job, abort, promise: Promise.resolve() };
      this.running.set(job.id, entry);
      entry.promise = this.execute(job, abort).finally(() => {
        this.running.delete(job.id);
        this.prefetcher.jobFinished();
        this.dispatch(); // refill the slot from the buffer without waiting for the loop
        this.wake();
      });
    }
  }

  private async execute(job: ClaimedJob, abort: AbortController): Promise<void> {
    const { registry, hooks, settings } = this.deps;
    const definition = registry.get(job.jobName);
    if (job.attempts > job.maxAttempts) {
      return this.record({ kind: "dead", id: job.id, attempts: job.attempts, error: "Max attempts exceeded (job crashed repeatedly)", reason: "max_retries_exceeded", recordAttempts: job.attempts });
    }
    if (!definition) {
      return this.record({ kind: "dead", id: job.id, attempts: job.attempts, error: `Job ${job.jobName} not registered.`, reason: "job_not_found", recordAttempts: job.maxAttempts });
    }
    const ctx: JobContext = Object.freeze({
      jobId: job.id,
      jobName: job.jobName,
      attempt: job.attempts,
      maxAttempts: job.maxAttempts,
      queue: job.queue,
      workerId: this.workerId,
      scheduledAt: job.scheduledAt,
      createdAt: job.createdAt,
      signal: abort.signal,
    });
    const started = performance.now();
    if (hooks.metrics.length) await hooks.metric("recordJobStart", { jobId: job.id, jobName: job.jobName, queue: job.queue, attempt: job.attempts });
    if (hooks.before.length) await hooks.run("beforeJob", hooks.before, ctx);

    const prepared = definition.prepareArgs(job.args);
    if (!prepared.ok) {
      await this.endMetric(job, "dead_letter", started, prepared.error);
      return this.record({ kind: "dead", id: job.id, attempts: job.attempts, error: prepared.error, reason: "invalid_arguments", recordAttempts: job.maxAttempts });
    }

    const timeoutSeconds = definition.options.timeout ?? settings.jobTimeout;
    const run = hooks.middleware.length ? hooks.chain(ctx, () => definition.handler(prepared.args, ctx)) : () => definition.handler(prepared.args, ctx);
    const settled = runHandler(run);
    let outcome = timeoutSeconds > 0 ? await withTimeout(settled, timeoutSeconds) : await settled;
    if (outcome === TIMED_OUT) {
      const error = new Error(`Job timed out after ${timeoutSeconds}s`);
      error.name = "TimeoutError";
      abort.abort(error);
      // The slot and the job stay held until the handler settles, so a handler that ignores its
      // signal never runs beside another job in its slot, nor beside its own next attempt.
      await this.awaitStraggler(job, settled, timeoutSeconds);
      outcome = { ok: false, error, timedOut: true };
    }
    if (this.abandoned.has(job.id)) return;
    if (!outcome.ok) return this.failed(job, definition, ctx, outcome, timeoutSeconds, started);
    if (isSnooze(outcome.value)) return this.snoozed(job, outcome.value, started);
    let resultJson: string | null;
    try {
      resultJson = outcome.value === undefined || outcome.value === null ? null : serializeJson(outcome.value, "result");
    } catch (error) {
      return this.failed(job, definition, ctx, { ok: false, error, timedOut: false }, timeoutSeconds, started);
    }
    const durationMs = performance.now() - started;
    this.record({ kind: "done", id: job.id, attempts: job.attempts, resultJson });
    if (hooks.after.length) await hooks.run("afterJob", hooks.after, ctx, { durationMs, result: outcome.value });
    await this.endMetric(job, "done", started);
  }

  /** `return new Snooze(seconds, reason)`: back to the queue after `seconds` (capped), the attempt given back. */
  private async snoozed(job: ClaimedJob, snooze: Snooze, started: number): Promise<void> {
    const max = this.deps.settings.snoozeMaxSeconds;
    if (snooze.seconds > max) {
      this.deps.logger.warn("snooze capped at snoozeMaxSeconds", { jobId: job.id, requested: snooze.seconds, snoozeMaxSeconds: max });
    }
    const error = errorText(snooze.reason === null ? "SNOOZE" : `SNOOZE: ${snooze.reason}`);
    this.record({ kind: "retry", id: job.id, attempts: job.attempts, error, delaySeconds: Math.min(snooze.seconds, max), refundAttempt: true });
    await this.endMetric(job, "snoozed", started);
  }

  /**
   * A failed attempt: retried after the delay the retry policy (or the job's retry options)
   * gives, or dead-lettered: on the last attempt (`max_retries_exceeded`, `timeout`), on a
   * `PermanentError`, or when the policy declines (`permanent_failure`).
   */
  private async failed(job: ClaimedJob, definition: JobDefinition, ctx: JobContext, outcome: Failed, timeoutSeconds: number, started: number): Promise<void> {
    const { hooks } = this.deps;
    const text = outcome.timedOut ? `Job timed out after ${timeoutSeconds}s` : errorText(outcome.error);
    const durationMs = performance.now() - started;
    let dead: { error: string; reason: DeadLetterReason } | null = null;
    let delaySeconds = 0;
    if (isPermanentError(outcome.error)) {
      dead = { error: text, reason: "permanent_failure" };
    } else if (job.attempts >= job.maxAttempts) {
      dead = { error: errorText(`Max retries exceeded: ${text}`), reason: outcome.timedOut ? "timeout" : "max_retries_exceeded" };
    } else {
      const delay = await this.retryDelay(job, definition, ctx, outcome.error);
      if (delay === null) dead = { error: errorText(`Retry policy declined: ${text}`), reason: "permanent_failure" };
      else delaySeconds = delay;
    }
    if (hooks.onError.length) await hooks.run("onError", hooks.onError, ctx, outcome.error, { willRetry: dead === null, durationMs });
    if (dead) {
      this.record({ kind: "dead", id: job.id, attempts: job.attempts, error: dead.error, reason: dead.reason, recordAttempts: job.attempts });
      await this.endMetric(job, "dead_letter", started, text);
    } else {
      this.record({ kind: "retry", id: job.id, attempts: job.attempts, error: text, delaySeconds });
      await this.endMetric(job, "failed", started, text);
    }
  }

  /** Seconds until the next attempt, or null when the retry policy gives up. */
  private async retryDelay(job: ClaimedJob, definition: JobDefinition, ctx: JobContext, error: unknown): Promise<number | null> {
    const policy = this.deps.retryPolicy;
    const fallback = () => computeRetryDelay(job.attempts, definition.options);
    if (!policy) return fallback();
    try {
      const delay = await policy.delayFor({ attempt: job.attempts, job: ctx, error });
      if (delay === null) return null;
      if (typeof delay === "number" && Number.isFinite(delay) && delay >= 0) return delay;
      this.deps.logger.warn("retry policy returned neither seconds >= 0 nor null; using the job's retry options", { jobId: job.id, returned: String(delay) });
    } catch (policyError) {
      this.deps.logger.warn("retry policy threw; using the job's retry options", { jobId: job.id, error: policyError });
    }
    return fallback();
  }

  /** Wait for a timed-out handler to settle, warning while it ignores its abort signal. */
  private async awaitStraggler(job: ClaimedJob, settled: Promise<unknown>, timeoutSeconds: number): Promise<void> {
    const every = Math.max(timeoutSeconds, 10) * 1000;
    let warnings = 0;
    const timer = setInterval(() => {
      warnings++;
      this.deps.logger.warn("a timed-out handler ignores its abort signal; its job and slot stay held until it settles", {
        jobId: job.id,
        jobName: job.jobName,
        secondsOverTimeout: Math.round((warnings * every) / 1000),
      });
    }, every);
    try {
      await settled;
    } finally {
      clearInterval(timer);
    }
  }

  private endMetric(job: ClaimedJob, status: "done" | "failed" | "dead_letter" | "snoozed", started: number, error?: string): Promise<void> {
    if (this.deps.hooks.metrics.length === 0) return Promise.resolve();
    return this.deps.hooks.metric("recordJobEnd", {
      jobId: job.id,
      jobName: job.jobName,
      queue: job.queue,
      status,
      durationSeconds: (performance.now() - started) / 1000,
      ...(error ? { error } : {}),
    });
  }

  private record(outcome: JobOutcome): void {
    this.summary.processed++;
    if (outcome.kind === "done") this.summary.succeeded++;
    else if (outcome.kind === "retry" && outcome.refundAttempt) this.summary.snoozed++;
    else if (outcome.kind === "retry") this.summary.retried++;
    else this.summary.deadLettered++;
    this.completer.add(outcome);
  }

  /** Shutdown: requeue the buffer, let running jobs finish up to shutdownTimeout, then abandon and requeue them. */
  private async drain(): Promise<void> {
    const { backend, settings, logger } = this.deps;
    const buffered = this.buffer.splice(0).map((j) => j.id);
    if (buffered.length) this.summary.requeued += await backend.nackJobs(this.workerId, buffered).catch(() => 0);
    if (this.running.size === 0) return;
    const all = Promise.all([...this.running.values()].map((r) => r.promise));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), settings.shutdownTimeout * 1000)));
    const timedOut = await Promise.race([all.then(() => false), deadline]);
    clearTimeout(timer); // a pending timer would keep the process alive after the stop
    if (!timedOut) return;
    const stuck = [...this.running.values()];
    for (const r of stuck) {
      this.abandoned.add(r.job.id);
      r.abort.abort(new Error("worker shutting down"));
    }
    const ids = stuck.map((r) => r.job.id);
    this.completer.drop(this.abandoned);
    const n = await backend.nackJobs(this.workerId, ids).catch(() => 0);
    this.summary.requeued += n;
    for (const id of ids) logger.warn("shutdown_nack", { jobId: id, reason: "shutdown_timeout" });
  }

  /** Leader only: requeue the jobs of dead workers (see docs/reliability.md for the rule). */
  private async rescue(): Promise<void> {
    const { backend, settings, logger } = this.deps;
    try {
      await backend.withLeaderLock("maintenance", async () => {
        const rescued = await backend.rescueStaleWorkers(settings.heartbeatTimeout, settings.rescueAfter);
        if (rescued.jobs || rescued.workers) logger.warn("rescued jobs of stale workers", rescued);
      });
    } catch (error) {
      logger.warn("stale-worker rescue failed", { error });
    }
  }

  /** Leader only: delete done rows whose retention ended. */
  private async cleanup(): Promise<void> {
    const { backend, logger } = this.deps;
    try {
      await backend.withLeaderLock("maintenance", async () => {
        const expired = await backend.deleteExpiredJobs();
        if (expired) logger.debug("deleted expired jobs", { expired });
      });
    } catch (error) {
      logger.warn("cleanup failed", { error });
    }
  }

  /** The worker row's metadata; `heartbeat: "thread"` tells every rescuer the short silence rule applies. */
  private rowMetadata(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { runtime: `bun ${Bun.version}`, runOnce: this.runOnce, ...(this.threadedHeartbeat ? { heartbeat: "thread" } : {}), ...extra };
  }

  /**
   * Give up now: abort running handlers and put every claimed job (running or buffered) back to
   * queued with attempts kept, so a forced exit does not leave them to the stale-worker timeout.
   */
  async abandon(): Promise<number> {
    this.stopping = true;
    this.wake();
    const ids = [...this.running.keys(), ...this.buffer.splice(0).map((j) => j.id)];
    for (const r of this.running.values()) {
      this.abandoned.add(r.job.id);
      r.abort.abort(new Error("worker forced to stop"));
    }
    this.completer.drop(this.abandoned);
    await this.completer.flushUntilEmpty(1000);
    const n = ids.length ? await this.deps.backend.nackJobs(this.workerId, ids).catch(() => 0) : 0;
    this.summary.requeued += n;
    return n;
  }

  /** The id registered in soniq_workers (a restarted process may take over its predecessor's). */
  get registeredId(): string {
    return this.workerId;
  }

  /** SIGINT, SIGTERM and SIGHUP drain; a second signal requeues every claimed job and exits 130. */
  private installSignals(): () => void {
    if (!(this.options.handleSignals ?? !this.runOnce)) return () => {};
    return onShutdownSignals({
      onFirst: (signal) => {
        this.deps.logger.info("shutting down gracefully; send the signal again to force exit", { signal });
        void this.stop();
      },
      onSecond: (signal) => {
        this.deps.logger.warn("forced exit: requeueing claimed jobs", { signal });
        forceExit(() => this.abandon());
      },
    });
  }
}

/** This host's name with the first free suffix from `from` on (`host`, `host#2`, ...), reserved in this process. */
function claimHostname(from: number): [name: string, suffix: number] {
  const base = hostname();
  let n = from;
  const name = (i: number) => (i === 1 ? base : `${base}#${i}`);
  while (liveHostnames.has(name(n))) n++;
  liveHostnames.add(name(n));
  return [name(n), n];
}

export function formatError(error: unknown): string {
  if (error instanceof Error) {
    const stack = error.stack ?? "";
    const head = `${error.name}: ${error.message}`;
    return stack.startsWith(head) ? stack : stack ? `${head}\n${stack}` : head;
  }
  return `Error: ${String(error)}`;
}

/** An error as storable text: NUL and lone surrogates replaced, cut on a code-point boundary. */
function errorText(error: unknown): string {
  return storableText(typeof error === "string" ? error : formatError(error), MAX_ERROR_LENGTH);
}

type Failed = { ok: false; error: unknown; timedOut: boolean };
type Settled = { ok: true; value: unknown } | Failed;
const TIMED_OUT = Symbol("timed out");

/** Run a handler; a sync throw and a rejection both become `{ ok: false }`. Never rejects. */
function runHandler(handler: () => unknown): Promise<Settled> {
  return Promise.resolve()
    .then(handler)
    .then(
      (value): Settled => ({ ok: true, value }),
      (error): Settled => ({ ok: false, error, timedOut: false }),
    );
}

function withTimeout(settled: Promise<Settled>, seconds: number): Promise<Settled | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), seconds * 1000)));
  return Promise.race([settled, expired]).finally(() => clearTimeout(timer));
}

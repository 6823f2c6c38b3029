import { hostname } from "node:os";
import type { ClaimedJob, JobOutcome, StorageBackend } from "../backends/types.ts";
import type { JobContext, JobDefinition } from "../core/job.ts";
import { serializeJson } from "../core/json.ts";
import type { Logger } from "../core/logger.ts";
import { computeRetryDelay } from "../core/retry.ts";
import type { Settings } from "../settings.ts";
import { VERSION } from "../version.ts";
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
  /** Claimed jobs kept ready beyond the free slots (default: the `prefetch` setting, else concurrency). */
  prefetch?: number;
  /** Stop gracefully when this signal aborts. */
  signal?: AbortSignal;
  /** Install SIGINT/SIGTERM handlers (default: true unless runOnce). A second signal exits the process. */
  handleSignals?: boolean;
}

export interface WorkerSummary {
  workerId: string;
  processed: number;
  succeeded: number;
  retried: number;
  deadLettered: number;
  /** Jobs put back to queued at shutdown. */
  requeued: number;
}

export interface WorkerDeps {
  backend: StorageBackend;
  registry: ReadonlyMap<string, JobDefinition>;
  settings: Settings;
  hooks: Hooks;
  logger: Logger;
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
  private readonly prefetch: number;
  private readonly queues: readonly string[] | null;
  private readonly runOnce: boolean;
  private readonly maxJobs: number;
  private readonly deps: WorkerDeps;
  private readonly options: WorkerOptions;

  private workerId = this.id;
  private hostname = hostname();
  private readonly buffer: ClaimedJob[] = [];
  private readonly running = new Map<string, Running>();
  private outcomes: JobOutcome[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private flushing: Promise<void> | null = null;
  private flushingBatch: readonly JobOutcome[] = [];
  /** A claim failed: it may have committed with its reply lost, leaving rows only the database knows. */
  private suspectOrphans = false;
  private readonly abandoned = new Set<string>();
  private claimed = 0;
  /** Bumped after each successful outcome write, so runOnce knows whether its last claim could see it. */
  private flushes = 0;
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
    this.prefetch = options.prefetch ?? deps.settings.prefetch ?? this.concurrency;
    this.queues = options.queues && options.queues.length > 0 ? [...options.queues] : null;
    this.runOnce = options.runOnce ?? false;
    this.maxJobs = options.maxJobs ?? Number.POSITIVE_INFINITY;
    this.summary = { workerId: this.id, processed: 0, succeeded: 0, retried: 0, deadLettered: 0, requeued: 0 };
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
    const { backend, settings, logger } = this.deps;
    this.started = true;
    this.hostname = uniqueHostname();
    try {
      this.workerId = await backend.registerWorker({
        id: this.id,
        hostname: this.hostname,
        pid: process.pid,
        queues: this.queues ? [...this.queues] : [],
        concurrency: this.concurrency,
        version: VERSION,
        metadata: { runtime: `bun ${Bun.version}`, runOnce: this.runOnce },
      });
    } catch (error) {
      liveHostnames.delete(this.hostname);
      this.stopping = true;
      throw error;
    }
    this.summary.workerId = this.workerId;
    logger.info("worker started", { workerId: this.workerId, concurrency: this.concurrency, queues: this.queues ?? "all", backend: backend.kind });

    const unlisten = this.runOnce
      ? async () => {}
      : await backend.listen((queue) => this.onNotify(queue)).catch((error) => {
          logger.warn("LISTEN unavailable, polling only", { error });
          return async () => {};
        });
    const heartbeat = setInterval(() => {
      backend.heartbeat(this.workerId, { running: this.running.size, buffered: this.buffer.length }).catch((error) =>
        logger.warn("heartbeat failed", { error }),
      );
    }, settings.heartbeatInterval * 1000);
    let maintenance: ReturnType<typeof setInterval> | null = null;
    if (!this.runOnce) {
      void this.maintain();
      maintenance = setInterval(() => void this.maintain(), settings.cleanupInterval * 1000);
    }
    const removeSignals = this.installSignals();
    const onAbort = () => void this.stop();
    this.options.signal?.addEventListener("abort", onAbort);
    if (this.options.signal?.aborted) this.stopping = true;

    try {
      await this.loop();
      await this.drain();
    } finally {
      clearInterval(heartbeat);
      if (maintenance) clearInterval(maintenance);
      removeSignals();
      this.options.signal?.removeEventListener("abort", onAbort);
      await unlisten().catch(() => {});
      await this.flushUntilEmpty();
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
        flushesAtClaim = this.flushes;
        try {
          jobs = await this.deps.backend.claimJobs(this.workerId, this.queues, room);
        } catch (error) {
          this.suspectOrphans = true;
          logger.error("claim failed", { error });
          await this.sleep(settings.errorRetryDelay * 1000);
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
        if (this.outcomes.length === 0 && !this.flushing && flushesAtClaim === this.flushes) break;
        await this.flushUntilEmpty();
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

  /** Free claim capacity: slots plus prefetch, minus what is running or buffered, within maxJobs. */
  private room(): number {
    return Math.min(this.concurrency + this.prefetch - this.running.size - this.buffer.length, this.maxJobs - this.claimed);
  }

  private get lowWater(): number {
    return Math.floor(this.prefetch / 2);
  }

  /** Requeue processing rows of ours that this process does not hold (see `suspectOrphans`). */
  private async releaseOrphans(): Promise<void> {
    const held = [
      ...this.running.keys(),
      ...this.buffer.map((j) => j.id),
      ...this.outcomes.map((o) => o.id),
      ...this.flushingBatch.map((o) => o.id),
    ];
    try {
      const released = await this.deps.backend.requeueOrphans(this.workerId, held);
      this.suspectOrphans = false;
      if (released) this.deps.logger.warn("requeued jobs whose claim reply was lost", { jobs: released });
    } catch (error) {
      this.deps.logger.warn("could not requeue orphaned claims yet", { error });
      await this.sleep(this.deps.settings.errorRetryDelay * 1000);
    }
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
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const run = Promise.resolve().then(() => definition.handler(prepared.args, ctx));
      const result = timeoutSeconds > 0
        ? await Promise.race([
            run,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => {
                timedOut = true;
                const error = new Error(`Job timed out after ${timeoutSeconds}s`);
                error.name = "TimeoutError";
                abort.abort(error);
                reject(error);
              }, timeoutSeconds * 1000);
            }),
          ])
        : await run;
      clearTimeout(timer);
      if (this.abandoned.has(job.id)) return;
      const resultJson = result === undefined || result === null ? null : serializeJson(result, "result");
      const durationMs = performance.now() - started;
      this.record({ kind: "done", id: job.id, attempts: job.attempts, resultJson });
      if (hooks.after.length) await hooks.run("afterJob", hooks.after, ctx, { durationMs, result });
      await this.endMetric(job, "done", started);
    } catch (error) {
      clearTimeout(timer);
      if (this.abandoned.has(job.id)) return;
      const text = timedOut ? `Job timed out after ${timeoutSeconds}s` : truncate(formatError(error));
      const final = job.attempts >= job.maxAttempts;
      const durationMs = performance.now() - started;
      if (hooks.onError.length) await hooks.run("onError", hooks.onError, ctx, error, { willRetry: !final, durationMs });
      if (final) {
        this.record({ kind: "dead", id: job.id, attempts: job.attempts, error: truncate(`Max retries exceeded: ${text}`), reason: timedOut ? "timeout" : "max_retries_exceeded", recordAttempts: job.attempts });
        await this.endMetric(job, "dead_letter", started, text);
      } else {
        const delaySeconds = computeRetryDelay(job.attempts, definition.options);
        this.record({ kind: "retry", id: job.id, attempts: job.attempts, error: text, delaySeconds });
        await this.endMetric(job, "failed", started, text);
      }
    }
  }

  private endMetric(job: ClaimedJob, status: "done" | "failed" | "dead_letter", started: number, error?: string): Promise<void> {
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
    else if (outcome.kind === "retry") this.summary.retried++;
    else this.summary.deadLettered++;
    this.outcomes.push(outcome);
    const { completionBatchSize, completionFlushInterval } = this.deps.settings;
    if (this.outcomes.length >= completionBatchSize || completionFlushInterval === 0) void this.flush();
    else if (!this.flushTimer) this.flushTimer = setTimeout(() => void this.flush(), completionFlushInterval * 1000);
  }

  /** Write pending outcomes in one batch. A failed write keeps them for the next attempt. */
  private flush(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (this.flushing) return this.flushing;
    if (this.outcomes.length === 0) return Promise.resolve();
    const batch = this.outcomes;
    this.outcomes = [];
    this.flushingBatch = batch;
    this.flushing = (async () => {
      try {
        await this.deps.backend.applyOutcomes(this.workerId, batch, this.deps.settings.resultTtl);
        this.flushes++;
      } catch (error) {
        this.deps.logger.error("recording job outcomes failed; will retry", { error, jobs: batch.length });
        this.outcomes = batch.concat(this.outcomes);
        throw error;
      } finally {
        this.flushing = null;
        this.flushingBatch = [];
      }
      if (this.outcomes.length > 0 && !this.flushTimer) {
        this.flushTimer = setTimeout(() => void this.flush(), this.deps.settings.completionFlushInterval * 1000);
      }
    })();
    this.flushing.catch(() => {
      if (!this.flushTimer) this.flushTimer = setTimeout(() => void this.flush().catch(() => {}), this.deps.settings.errorRetryDelay * 1000);
    });
    return this.flushing;
  }

  /** Keep flushing until nothing is pending (bounded retries on failure). */
  private async flushUntilEmpty(): Promise<void> {
    for (let attempt = 0; attempt < 20 && (this.outcomes.length > 0 || this.flushing); attempt++) {
      try {
        if (this.flushing) await this.flushing;
        await this.flush();
      } catch {
        await Bun.sleep(Math.min(this.deps.settings.errorRetryDelay * 1000, 250 * 2 ** attempt));
      }
    }
  }

  /** Shutdown: requeue the buffer, let running jobs finish up to shutdownTimeout, then abandon and requeue them. */
  private async drain(): Promise<void> {
    const { backend, settings, logger } = this.deps;
    const buffered = this.buffer.splice(0).map((j) => j.id);
    if (buffered.length) this.summary.requeued += await backend.nackJobs(this.workerId, buffered).catch(() => 0);
    if (this.running.size === 0) return;
    const all = Promise.all([...this.running.values()].map((r) => r.promise));
    const timedOut = await Promise.race([all.then(() => false), Bun.sleep(settings.shutdownTimeout * 1000).then(() => true)]);
    if (!timedOut) return;
    const stuck = [...this.running.values()];
    for (const r of stuck) {
      this.abandoned.add(r.job.id);
      r.abort.abort(new Error("worker shutting down"));
    }
    const ids = stuck.map((r) => r.job.id);
    this.outcomes = this.outcomes.filter((o) => !this.abandoned.has(o.id));
    const n = await backend.nackJobs(this.workerId, ids).catch(() => 0);
    this.summary.requeued += n;
    for (const id of ids) logger.warn("shutdown_nack", { jobId: id, reason: "shutdown_timeout" });
  }

  private async maintain(): Promise<void> {
    const { backend, settings, logger } = this.deps;
    try {
      await backend.withLeaderLock("maintenance", async () => {
        const rescued = await backend.rescueStaleWorkers(settings.heartbeatTimeout);
        const expired = await backend.deleteExpiredJobs();
        if (rescued.jobs || rescued.workers) logger.warn("rescued jobs of stale workers", rescued);
        if (expired) logger.debug("deleted expired jobs", { expired });
      });
    } catch (error) {
      logger.warn("maintenance failed", { error });
    }
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
    this.outcomes = this.outcomes.filter((o) => !this.abandoned.has(o.id));
    await this.flushUntilEmpty();
    const n = ids.length ? await this.deps.backend.nackJobs(this.workerId, ids).catch(() => 0) : 0;
    this.summary.requeued += n;
    return n;
  }

  /** The id registered in soniq_workers (a restarted process may take over its predecessor's). */
  get registeredId(): string {
    return this.workerId;
  }

  private installSignals(): () => void {
    if (!(this.options.handleSignals ?? !this.runOnce)) return () => {};
    let count = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      count++;
      if (count === 1) {
        this.deps.logger.info("shutting down gracefully; send the signal again to force exit", { signal });
        void this.stop();
      } else {
        this.deps.logger.warn("forced exit: requeueing claimed jobs", { signal });
        const exit = () => process.exit(130);
        setTimeout(exit, 2000).unref();
        void this.abandon().finally(exit);
      }
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    return () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    };
  }
}

function uniqueHostname(): string {
  const base = hostname();
  let name = base;
  for (let i = 2; liveHostnames.has(name); i++) name = `${base}#${i}`;
  liveHostnames.add(name);
  return name;
}

export function formatError(error: unknown): string {
  if (error instanceof Error) {
    const stack = error.stack ?? "";
    const head = `${error.name}: ${error.message}`;
    return stack.startsWith(head) ? stack : stack ? `${head}\n${stack}` : head;
  }
  return `Error: ${String(error)}`;
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? text.slice(0, MAX_ERROR_LENGTH) : text;
}

import type { JobOutcome, StorageBackend } from "../backends/types.ts";
import type { Logger } from "../core/logger.ts";
import { storableText } from "../core/text.ts";
import type { Settings } from "../settings.ts";

export interface CompleterDeps {
  backend: StorageBackend;
  settings: Pick<Settings, "completionBatchSize" | "completionFlushInterval" | "errorRetryDelay" | "resultTtl">;
  logger: Logger;
  /** The worker's registered id (known only once the worker registered). */
  workerId: () => string;
  /** Outcomes pending beyond this stop the worker from claiming (`backlogged`). */
  backlogLimit: number;
  /** Called after every flush, written or not (a backlogged worker waits for it). */
  onFlushed?: () => void;
}

/** The first transient-failure retry waits this long; each further failure doubles it, up to errorRetryDelay. */
const FIRST_RETRY_MS = 50;

/**
 * Outcome batching. Finished attempts are written in batches (one statement per kind), flushed
 * every `completionFlushInterval` or at `completionBatchSize`. Failures never spread:
 * - a kind whose statement committed is never sent again;
 * - a transient failure (connection lost, database restarting) keeps the failed outcomes for a
 *   later flush, with backoff;
 * - a refused batch (the database rejected the data) is split in halves until the offending
 *   outcome stands alone; that one is dead-lettered with a storable reason instead, and if even
 *   that is refused, the job is put back to queued.
 * Pending outcomes are bounded by the worker: past `backlogLimit` it stops claiming.
 */
export class OutcomeCompleter {
  private pending: JobOutcome[] = [];
  private inFlight: readonly JobOutcome[] = [];
  private flushing: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failuresInARow = 0;
  private closed = false;
  private readonly replacements = new WeakSet<JobOutcome>();
  /** Successful flushes so far: runOnce compares it to know whether a claim could see the last writes. */
  writes = 0;

  constructor(private readonly deps: CompleterDeps) {}

  add(outcome: JobOutcome): void {
    this.pending.push(outcome);
    if (this.failuresInARow > 0) return; // a retry is already scheduled; do not hammer a failing database
    const { completionBatchSize, completionFlushInterval } = this.deps.settings;
    if (this.pending.length >= completionBatchSize || completionFlushInterval === 0) void this.flush();
    else this.arm(completionFlushInterval * 1000);
  }

  /** Outcomes not yet written (pending and in flight). */
  get size(): number {
    return this.pending.length + this.inFlight.length;
  }

  /** Too many outcomes wait to be written: the worker must not claim more work. */
  get backlogged(): boolean {
    return this.size >= this.deps.backlogLimit;
  }

  /** Ids of the jobs whose outcome is not written yet. */
  heldIds(): string[] {
    return [...this.pending, ...this.inFlight].map((o) => o.id);
  }

  /** Forget pending outcomes of these jobs (they were given back at a forced stop). */
  drop(ids: ReadonlySet<string>): void {
    this.pending = this.pending.filter((o) => !ids.has(o.id));
  }

  /** Write what is pending now. Never rejects: failures stay pending or are replaced (see class doc). */
  flush(): Promise<void> {
    this.disarm();
    if (this.flushing) return this.flushing;
    if (this.pending.length === 0) return Promise.resolve();
    const batch = this.pending.splice(0, Math.max(this.deps.settings.completionBatchSize, 1));
    this.inFlight = batch;
    this.flushing = this.write(batch)
      .then((later) => {
        if (later.length > 0) {
          this.pending = later.concat(this.pending);
          this.failuresInARow++;
        } else {
          this.failuresInARow = 0;
          this.writes++;
        }
      })
      .finally(() => {
        this.inFlight = [];
        this.flushing = null;
        if (this.pending.length > 0) this.arm(this.failuresInARow > 0 ? this.retryDelayMs() : this.deps.settings.completionFlushInterval * 1000);
        this.deps.onFlushed?.();
      });
    return this.flushing;
  }

  /** Shutdown: flush until nothing is pending, retrying transient failures for at most `maxWaitMs`. */
  async flushUntilEmpty(maxWaitMs: number): Promise<void> {
    const deadline = Date.now() + maxWaitMs;
    while (this.size > 0 || this.flushing) {
      if (this.flushing) await this.flushing;
      await this.flush();
      if (this.size === 0) break;
      if (Date.now() >= deadline) {
        this.deps.logger.error("could not record job outcomes before stopping; their jobs are rescued as stale", { jobs: this.size });
        break;
      }
      await Bun.sleep(Math.min(this.retryDelayMs(), Math.max(0, deadline - Date.now())));
    }
  }

  /** No more timers: nothing of the completer keeps the process alive after the worker stopped. */
  close(): void {
    this.closed = true;
    this.disarm();
  }

  private arm(ms: number): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private retryDelayMs(): number {
    return Math.min(this.deps.settings.errorRetryDelay * 1000, FIRST_RETRY_MS * 2 ** Math.min(this.failuresInARow, 16));
  }

  /** Write `batch`; returns the outcomes to try again later (transient failures). */
  private async write(batch: readonly JobOutcome[]): Promise<JobOutcome[]> {
    const { backend, settings, logger } = this.deps;
    let failures;
    try {
      failures = await backend.applyOutcomes(this.deps.workerId(), batch, settings.resultTtl);
    } catch (error) {
      failures = [{ outcomes: [...batch], error }];
    }
    const later: JobOutcome[] = [];
    for (const { outcomes, error } of failures) {
      if (backend.isTransientError(error)) {
        if (this.failuresInARow === 0) logger.warn("recording job outcomes failed; will retry", { error, jobs: outcomes.length });
        later.push(...outcomes);
      } else if (outcomes.length > 1) {
        const half = Math.ceil(outcomes.length / 2);
        later.push(...(await this.write(outcomes.slice(0, half))), ...(await this.write(outcomes.slice(half))));
      } else if (outcomes[0]) {
        later.push(...(await this.replace(outcomes[0], error)));
      }
    }
    return later;
  }

  /** One outcome the database refused: dead-letter the job with a reason it can store, or give the job back. */
  private async replace(refused: JobOutcome, error: unknown): Promise<JobOutcome[]> {
    const { backend, logger } = this.deps;
    const reason = storableText(error instanceof Error ? error.message : String(error), 500);
    if (this.replacements.has(refused)) {
      logger.error("the database refused even the replacement outcome; the job goes back to the queue", { jobId: refused.id, error });
      await backend.nackJobs(this.deps.workerId(), [refused.id]).catch((e) => logger.warn("could not requeue the job", { jobId: refused.id, error: e }));
      return [];
    }
    logger.error("the database refused a job outcome; the job is dead-lettered instead", { jobId: refused.id, kind: refused.kind, error });
    const replacement: JobOutcome = {
      kind: "dead",
      id: refused.id,
      attempts: refused.attempts,
      error: `Outcome could not be stored (${refused.kind}): ${reason}`,
      reason: "permanent_failure",
      recordAttempts: refused.attempts,
    };
    this.replacements.add(replacement);
    return this.write([replacement]);
  }
}

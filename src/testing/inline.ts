/**
 * The runner behind `new Soniq({ testing: "inline" })` and `drain(app, { skipRetryDelays: true })`:
 * a run-once worker (the real one, so hooks, middleware, timeouts, Snooze, PermanentError and
 * dead-lettering behave exactly as in production) whose retry policy answers "now" instead of
 * the job's delay. It imports nothing from soniq.ts: the app hands over its worker dependencies.
 */
import type { Logger } from "../core/logger.ts";
import type { RetryPolicy } from "../core/retry.ts";
import { Worker, type WorkerDeps, type WorkerOptions, type WorkerSummary } from "../worker/worker.ts";

/** Retries without their delay; a policy that gives up (null) still dead-letters at once. */
export function skipRetryDelays(policy: RetryPolicy | undefined, logger: Logger): RetryPolicy {
  return {
    async delayFor(input) {
      if (!policy) return 0;
      try {
        return (await policy.delayFor(input)) === null ? null : 0;
      } catch (error) {
        // What a worker does too: a throwing policy falls back to the job's own retry options.
        logger.warn("retry policy threw; using the job's retry options", { jobId: input.job.jobId, error });
        return 0;
      }
    },
  };
}

/** "worker started" / "worker stopped" at debug: an inline run happens on every enqueue. */
function quieter(logger: Logger): Logger {
  const lifecycle = new Set(["worker started", "worker stopped"]);
  return {
    level: logger.level,
    debug: (msg, fields) => logger.debug(msg, fields),
    info: (msg, fields) => (lifecycle.has(msg) ? logger.debug(msg, fields) : logger.info(msg, fields)),
    warn: (msg, fields) => logger.warn(msg, fields),
    error: (msg, fields) => logger.error(msg, fields),
  };
}

/**
 * Run every due job of `options.queues` (all queues when omitted) to its final outcome, retries
 * back to back, then return once the outcomes are written. Jobs enqueued meanwhile on those
 * queues run too. Default: one job at a time, no prefetch, so the order is the claim order.
 */
export function runInline(deps: WorkerDeps, options: Pick<WorkerOptions, "queues" | "concurrency" | "maxJobs"> = {}): Promise<WorkerSummary> {
  const worker = new Worker(
    { ...deps, logger: quieter(deps.logger), retryPolicy: skipRetryDelays(deps.retryPolicy, deps.logger) },
    { concurrency: options.concurrency ?? 1, prefetch: 0, queues: options.queues ?? null, maxJobs: options.maxJobs, runOnce: true, handleSignals: false },
  );
  return worker.run();
}

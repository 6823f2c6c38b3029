import type { JobContext } from "./job.ts";

/** What a retry policy is asked after a failed attempt that has attempts left. */
export interface RetryPolicyInput {
  /** The attempt that just failed (1-based). */
  attempt: number;
  job: JobContext;
  /** What the handler threw (or the timeout error). */
  error: unknown;
}

/**
 * `new Soniq({ retryPolicy })`: seconds until the next attempt, or null to give up now (the job
 * is dead-lettered with reason `permanent_failure`). Without one, the job's own retry options
 * apply (`computeRetryDelay`).
 */
export interface RetryPolicy {
  delayFor(input: RetryPolicyInput): number | null | Promise<number | null>;
}

/** Retry options as given to `app.job()`; delays are seconds. */
export interface RetryOptions {
  retryDelay?: number | readonly number[];
  retryBackoff?: boolean;
  retryMaxDelay?: number | null;
  retryJitter?: boolean;
}

/**
 * Seconds to wait before the next attempt, after attempt `attempt` (1-based) failed.
 * Same rules as Python Soniq's ExponentialBackoff: list entries reuse the last value,
 * backoff doubles from the base (1 s when the base is 0), the cap applies before jitter,
 * and jitter (only with backoff) draws from the upper half [d/2, d].
 */
export function computeRetryDelay(attempt: number, options: RetryOptions, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const { retryDelay, retryBackoff = false, retryMaxDelay = null, retryJitter = true } = options;
  let delay: number;
  if (retryDelay === undefined) delay = 0;
  else if (typeof retryDelay === "number") delay = retryDelay;
  else delay = retryDelay.length === 0 ? 0 : retryDelay[Math.min(n - 1, retryDelay.length - 1)]!;

  if (retryBackoff) {
    const base = delay > 0 ? delay : 1;
    delay = base * 2 ** Math.min(n - 1, 62);
  }
  if (retryMaxDelay !== null && retryMaxDelay !== undefined) delay = Math.min(delay, retryMaxDelay);
  if (retryBackoff && retryJitter && delay > 0) delay = delay / 2 + random() * (delay / 2);
  return Math.max(0, delay);
}

import type { JobContext } from "../core/job.ts";
import type { Logger } from "../core/logger.ts";

export type BeforeJobHook = (ctx: JobContext) => unknown;
export type AfterJobHook = (ctx: JobContext, info: { durationMs: number; result: unknown }) => unknown;
export type ErrorHook = (ctx: JobContext, error: unknown, info: { willRetry: boolean; durationMs: number }) => unknown;
/**
 * Wraps every handler run: call `next()` to run the rest of the chain (and the handler) and get
 * its result; return something else to transform it, skip `next()` to short-circuit, throw to
 * fail the attempt. The first registered is outermost; the chain runs inside the job's timeout.
 */
export type Middleware = (ctx: JobContext, next: () => Promise<unknown>) => unknown;

/** Receives job lifecycle events (Prometheus, OpenTelemetry, ...). A throwing sink never breaks a job. */
export interface MetricsSink {
  recordJobStart?(event: { jobId: string; jobName: string; queue: string; attempt: number }): unknown;
  recordJobEnd?(event: {
    jobId: string;
    jobName: string;
    queue: string;
    status: "done" | "failed" | "dead_letter" | "snoozed";
    durationSeconds: number;
    error?: string;
  }): unknown;
}

export class Hooks {
  readonly before: BeforeJobHook[] = [];
  readonly after: AfterJobHook[] = [];
  readonly onError: ErrorHook[] = [];
  readonly metrics: MetricsSink[] = [];
  readonly middleware: Middleware[] = [];

  constructor(private readonly logger: Logger) {}

  /** Run hooks in registration order; sync or async; a throwing hook is logged and skipped. */
  async run<A extends unknown[]>(kind: string, hooks: readonly ((...args: A) => unknown)[], ...args: A): Promise<void> {
    for (const hook of hooks) {
      try {
        await hook(...args);
      } catch (error) {
        this.logger.warn(`hook ${kind} failed`, { hook: hook.name || "anonymous", error });
      }
    }
  }

  /** `handler` wrapped in the middleware chain, first registered outermost. */
  chain(ctx: JobContext, handler: () => unknown): () => Promise<unknown> {
    let next = async () => handler();
    for (const mw of [...this.middleware].reverse()) {
      const inner = next;
      next = async () => mw(ctx, inner);
    }
    return next;
  }

  async metric<K extends keyof MetricsSink>(kind: K, event: Parameters<NonNullable<MetricsSink[K]>>[0]): Promise<void> {
    for (const sink of this.metrics) {
      try {
        await (sink[kind] as ((e: typeof event) => unknown) | undefined)?.call(sink, event);
      } catch (error) {
        this.logger.warn(`metrics sink ${kind} failed`, { error });
      }
    }
  }
}

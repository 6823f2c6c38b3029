/**
 * A dependency-free Prometheus exporter. `createPrometheusSink()` is a `MetricsSink` that
 * counts what the workers of this process do; `prometheusText(app, sink)` renders it in the
 * Prometheus text format (0.0.4) together with gauges read from the database (queue depth,
 * oldest queued age, dead letters, workers). See docs/observability.md.
 */
import type { Soniq } from "../soniq.ts";
import type { MetricsSink } from "../worker/hooks.ts";

/** Python Soniq's buckets (seconds); `+Inf` is implicit. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export type JobEndStatus = "done" | "failed" | "dead_letter";

export interface PrometheusSinkOptions {
  /** Metric name prefix (default "soniq"). */
  prefix?: string;
  /** Histogram upper bounds in seconds, ascending (default: DEFAULT_DURATION_BUCKETS). */
  buckets?: readonly number[];
}

export interface PrometheusSink extends MetricsSink {
  readonly prefix: string;
  readonly buckets: readonly number[];
  recordJobStart(event: { jobId: string; jobName: string; queue: string; attempt: number }): void;
  recordJobEnd(event: { jobId: string; jobName: string; queue: string; status: JobEndStatus; durationSeconds: number; error?: string }): void;
  /** The counters, histogram and in-progress gauge in the text format (no database gauges). */
  render(): string;
  /** Forget everything (tests). */
  reset(): void;
}

interface Histogram {
  labels: Record<string, string>;
  counts: number[];
  sum: number;
  count: number;
}

/** A `MetricsSink` that keeps Prometheus counters in memory: pass it to `new Soniq({ metrics })`. */
export function createPrometheusSink(options: PrometheusSinkOptions = {}): PrometheusSink {
  const prefix = options.prefix ?? "soniq";
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) throw new Error(`invalid Prometheus metric prefix ${JSON.stringify(prefix)}`);
  const buckets = [...(options.buckets ?? DEFAULT_DURATION_BUCKETS)];
  for (let i = 0; i < buckets.length; i++) {
    if (!Number.isFinite(buckets[i]!) || (i > 0 && buckets[i]! <= buckets[i - 1]!)) throw new Error("histogram buckets must be finite and strictly ascending");
  }
  const started = new Map<string, { labels: Record<string, string>; value: number }>();
  const completed = new Map<string, { labels: Record<string, string>; value: number }>();
  const durations = new Map<string, Histogram>();
  /** Running jobs by id, so a repeated or missing end never drives the gauge negative. */
  const running = new Map<string, string>();
  const inProgressLabels = new Map<string, Record<string, string>>();

  const bump = (map: Map<string, { labels: Record<string, string>; value: number }>, labels: Record<string, string>) => {
    const key = labelKey(labels);
    const entry = map.get(key);
    if (entry) entry.value++;
    else map.set(key, { labels, value: 1 });
  };

  const sink: PrometheusSink = {
    prefix,
    buckets,
    recordJobStart(event) {
      const labels = { queue: String(event.queue), job_name: String(event.jobName) };
      bump(started, labels);
      const key = labelKey(labels);
      inProgressLabels.set(key, labels);
      running.set(event.jobId, key);
    },
    recordJobEnd(event) {
      const labels = { queue: String(event.queue), job_name: String(event.jobName), status: String(event.status) };
      bump(completed, labels);
      running.delete(event.jobId);
      const key = labelKey(labels);
      let h = durations.get(key);
      if (!h) durations.set(key, (h = { labels, counts: buckets.map(() => 0), sum: 0, count: 0 }));
      const seconds = Number.isFinite(event.durationSeconds) && event.durationSeconds >= 0 ? event.durationSeconds : 0;
      for (let i = 0; i < buckets.length; i++) if (seconds <= buckets[i]!) h.counts[i]!++;
      h.sum += seconds;
      h.count++;
    },
    render() {
      const out: string[] = [];
      out.push(`# HELP ${prefix}_jobs_started_total Job attempts started by workers in this process.`);
      out.push(`# TYPE ${prefix}_jobs_started_total counter`);
      for (const { labels, value } of sorted(started)) out.push(`${prefix}_jobs_started_total${fmtLabels(labels)} ${value}`);
      out.push(`# HELP ${prefix}_jobs_completed_total Job attempts finished by workers in this process, by outcome (done, failed = will retry, dead_letter).`);
      out.push(`# TYPE ${prefix}_jobs_completed_total counter`);
      for (const { labels, value } of sorted(completed)) out.push(`${prefix}_jobs_completed_total${fmtLabels(labels)} ${value}`);
      out.push(`# HELP ${prefix}_job_duration_seconds Job attempt duration in seconds.`);
      out.push(`# TYPE ${prefix}_job_duration_seconds histogram`);
      for (const h of [...durations.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, h]) => h)) {
        for (let i = 0; i < buckets.length; i++) {
          out.push(`${prefix}_job_duration_seconds_bucket${fmtLabels({ ...h.labels, le: fmtNumber(buckets[i]!) })} ${h.counts[i]}`);
        }
        out.push(`${prefix}_job_duration_seconds_bucket${fmtLabels({ ...h.labels, le: "+Inf" })} ${h.count}`);
        out.push(`${prefix}_job_duration_seconds_sum${fmtLabels(h.labels)} ${fmtNumber(h.sum)}`);
        out.push(`${prefix}_job_duration_seconds_count${fmtLabels(h.labels)} ${h.count}`);
      }
      out.push(`# HELP ${prefix}_jobs_in_progress Jobs running now in this process.`);
      out.push(`# TYPE ${prefix}_jobs_in_progress gauge`);
      const counts = new Map<string, number>();
      for (const key of running.values()) counts.set(key, (counts.get(key) ?? 0) + 1);
      for (const [key, labels] of [...inProgressLabels.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        out.push(`${prefix}_jobs_in_progress${fmtLabels(labels)} ${counts.get(key) ?? 0}`);
      }
      return out.join("\n") + "\n";
    },
    reset() {
      started.clear();
      completed.clear();
      durations.clear();
      running.clear();
      inProgressLabels.clear();
    },
  };
  return sink;
}

export interface PrometheusTextOptions {
  /** Prefix for the database gauges (default: the sink's prefix, else "soniq"). */
  prefix?: string;
}

/**
 * The full exposition: the sink's metrics (when given) plus gauges read from the database:
 * `<prefix>_queue_depth{queue}`, `<prefix>_queue_processing{queue}`,
 * `<prefix>_queue_oldest_job_age_seconds{queue}`, `<prefix>_dead_letter_jobs`,
 * `<prefix>_workers{state}` and `<prefix>_up` (1 when the database answered).
 */
export async function prometheusText(app: Soniq, sink?: PrometheusSink | null, options: PrometheusTextOptions = {}): Promise<string> {
  const prefix = options.prefix ?? sink?.prefix ?? "soniq";
  const out: string[] = [];
  if (sink) out.push(sink.render().trimEnd());
  let up = 1;
  try {
    await app.ensureInitialized();
    const backend = app.backend;
    const [breakdown, stats, workers] = await Promise.all([backend.getQueueBreakdown(), backend.getQueueStats(), backend.listWorkers()]);
    out.push(`# HELP ${prefix}_queue_depth Queued jobs per queue (due or scheduled).`);
    out.push(`# TYPE ${prefix}_queue_depth gauge`);
    for (const q of breakdown) out.push(`${prefix}_queue_depth${fmtLabels({ queue: q.queue })} ${q.queued}`);
    out.push(`# HELP ${prefix}_queue_processing Jobs being processed per queue.`);
    out.push(`# TYPE ${prefix}_queue_processing gauge`);
    for (const q of breakdown) out.push(`${prefix}_queue_processing${fmtLabels({ queue: q.queue })} ${q.processing}`);
    out.push(`# HELP ${prefix}_queue_oldest_job_age_seconds Age of the oldest due queued job per queue (0 when none is due).`);
    out.push(`# TYPE ${prefix}_queue_oldest_job_age_seconds gauge`);
    for (const q of breakdown) out.push(`${prefix}_queue_oldest_job_age_seconds${fmtLabels({ queue: q.queue })} ${fmtNumber(q.oldestQueuedAgeSeconds ?? 0)}`);
    out.push(`# HELP ${prefix}_dead_letter_jobs Jobs in the dead-letter queue.`);
    out.push(`# TYPE ${prefix}_dead_letter_jobs gauge`);
    out.push(`${prefix}_dead_letter_jobs ${stats.dead_letter}`);
    const now = Date.now();
    const timeout = app.settings.heartbeatTimeout;
    let active = 0;
    let stale = 0;
    for (const w of workers) {
      if (w.status !== "active") continue;
      if ((now - w.lastHeartbeat.getTime()) / 1000 > timeout) stale++;
      else active++;
    }
    out.push(`# HELP ${prefix}_workers Registered workers: active (heartbeating) or stale (silent for longer than heartbeatTimeout).`);
    out.push(`# TYPE ${prefix}_workers gauge`);
    out.push(`${prefix}_workers${fmtLabels({ state: "active" })} ${active}`);
    out.push(`${prefix}_workers${fmtLabels({ state: "stale" })} ${stale}`);
  } catch (error) {
    up = 0;
    app.logger.warn("metrics: database gauges unavailable", { error });
  }
  out.push(`# HELP ${prefix}_up Whether the database answered the last scrape.`);
  out.push(`# TYPE ${prefix}_up gauge`);
  out.push(`${prefix}_up ${up}`);
  return out.join("\n") + "\n";
}

/** The content type of the text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels));
}

function sorted(map: Map<string, { labels: Record<string, string>; value: number }>) {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
}

/** `{a="x",b="y"}` with values escaped as the text format requires (backslash, quote, newline). */
export function fmtLabels(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${String(v).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function fmtNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

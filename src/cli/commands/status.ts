import { defineCommand } from "citty";
import type { WorkerRecord } from "../../backends/types.ts";
import { dbArgs, errorMessage, jsonArg, redactUrl, withApp } from "../app.ts";
import { CliError } from "../exit.ts";
import { formatAge, formatTime, out, paint, printJson, printTable, statusCell, truncate } from "../output.ts";

/** How many jobs `status --jobs` lists. */
export const RECENT_JOBS = 10;

export interface WorkerView extends WorkerRecord {
  heartbeatAgeSeconds: number;
  /** Active, but silent for longer than the heartbeatTimeout setting. */
  stale: boolean;
}

export function workerViews(workers: WorkerRecord[], heartbeatTimeout: number, now = Date.now()): WorkerView[] {
  return workers.map((w) => {
    const heartbeatAgeSeconds = Math.max(0, (now - w.lastHeartbeat.getTime()) / 1000);
    return { ...w, heartbeatAgeSeconds, stale: w.status === "active" && heartbeatAgeSeconds > heartbeatTimeout };
  });
}

/** `soniq status`: health check, queue counts, per-queue breakdown and workers. */
export const status = defineCommand({
  meta: { name: "status", description: "Health check, queue statistics and workers" },
  args: {
    jobs: { type: "boolean", description: `also list the ${RECENT_JOBS} most recent jobs` },
    ...dbArgs,
    ...jsonArg,
  },
  async run({ args }) {
    await withApp(args, async (app) => {
      const started = performance.now();
      try {
        await app.ensureInitialized();
        await app.getQueueStats();
      } catch (error) {
        if (args.json) printJson({ healthy: false, backend: app.backend.kind, error: errorMessage(error) });
        throw new CliError(`database health check failed: ${errorMessage(error)}`);
      }
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      const [stats, queues, workerRows, recentJobs] = await Promise.all([
        app.getQueueStats(),
        app.getQueueBreakdown(),
        app.listWorkers(),
        args.jobs ? app.listJobs({ limit: RECENT_JOBS }) : Promise.resolve(undefined),
      ]);
      const heartbeatTimeout = app.settings.heartbeatTimeout;
      const workers = workerViews(workerRows, heartbeatTimeout);
      const live = workers.filter((w) => w.status !== "stopped");
      const stale = workers.filter((w) => w.stale);

      if (args.json) {
        printJson({ healthy: true, backend: app.backend.kind, latencyMs, heartbeatTimeout, stats, queues, workers, ...(recentJobs ? { recentJobs } : {}) });
        return;
      }
      out(`Database: ${redactUrl(app.settings.databaseUrl)} (${app.backend.kind}) ${paint("healthy", "green")} (${latencyMs} ms)`);
      out();
      out(paint("Jobs", "bold"));
      printTable(
        ["TOTAL", "QUEUED", "PROCESSING", "DONE", "CANCELLED", "DEAD_LETTER"],
        [[stats.total, stats.queued, stats.processing, stats.done, stats.cancelled, stats.dead_letter]],
      );
      out();
      out(paint("Queues", "bold"));
      if (queues.length === 0) out("(no jobs)");
      else
        printTable(
          ["QUEUE", "QUEUED", "PROCESSING", "DONE", "CANCELLED", "OLDEST_QUEUED"],
          queues.map((q) => [q.queue, q.queued, q.processing, q.done, q.cancelled, formatAge(q.oldestQueuedAgeSeconds)]),
        );
      out();
      const stopped = workers.length - live.length;
      out(
        `${paint("Workers", "bold")}: ${live.filter((w) => w.status === "active").length} active` +
          (stale.length ? `, ${paint(`${stale.length} stale`, "red")} (no heartbeat for over ${heartbeatTimeout}s)` : "") +
          (stopped ? `, ${stopped} stopped` : ""),
      );
      if (live.length > 0) {
        printTable(
          ["ID", "HOST", "PID", "STATUS", "QUEUES", "CONCURRENCY", "HEARTBEAT", "STARTED"],
          live.map((w) => [
            w.id,
            w.hostname,
            w.pid,
            statusCell(w.stale ? "stale" : w.status),
            w.queues.length ? w.queues.join(",") : "all",
            w.concurrency,
            `${formatAge(w.heartbeatAgeSeconds)} ago`,
            formatTime(w.startedAt),
          ]),
        );
      }
      if (recentJobs) {
        out();
        out(paint(`Recent jobs (${recentJobs.length})`, "bold"));
        if (recentJobs.length === 0) out("(no jobs)");
        else
          printTable(
            ["ID", "JOB", "QUEUE", "STATUS", "ATTEMPTS", "CREATED", "LAST_ERROR"],
            recentJobs.map((j) => [j.id, j.jobName, j.queue, statusCell(j.status), `${j.attempts}/${j.maxAttempts}`, formatTime(j.createdAt), truncate(j.lastError, 40)]),
          );
      }
    });
  },
});

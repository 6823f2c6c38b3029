/**
 * `soniq inspect`: workers in detail (stale ones flagged), an optional stale-worker cleanup, and
 * the recurring schedules. `soniq status` is the overview; this is the operator's closer look.
 */
import { defineCommand } from "citty";
import type { ScheduleRecord } from "../../backends/types.ts";
import { dbArgs, errorMessage, jsonArg, redactUrl, withApp } from "../app.ts";
import { CliError } from "../exit.ts";
import { formatAge, formatTime, out, paint, plural, printJson, printTable, statusCell } from "../output.ts";
import { workerViews, type WorkerView } from "./status.ts";

function metadataCell(metadata: Record<string, unknown> | null): string {
  if (!metadata) return "-";
  const parts: string[] = [];
  for (const key of ["cpu", "cpuPercent", "memory", "memoryMb", "rss"]) {
    if (metadata[key] !== undefined && metadata[key] !== null) parts.push(`${key}=${String(metadata[key])}`);
  }
  return parts.length ? parts.join(" ") : "-";
}

function workersTable(workers: WorkerView[], now = Date.now()): void {
  printTable(
    ["ID", "HOST", "PID", "STATUS", "QUEUES", "CONCURRENCY", "HEARTBEAT", "UPTIME", "METRICS"],
    workers.map((w) => [
      w.id,
      w.hostname,
      w.pid,
      statusCell(w.stale ? "stale" : w.status),
      w.queues.length ? w.queues.join(",") : "all",
      w.concurrency,
      `${formatAge(w.heartbeatAgeSeconds)} ago`,
      formatAge(Math.max(0, (now - w.startedAt.getTime()) / 1000)),
      metadataCell(w.metadata),
    ]),
  );
}

function schedulesTable(schedules: ScheduleRecord[]): void {
  printTable(
    ["NAME", "WHEN", "STATUS", "QUEUE", "NEXT_RUN", "LAST_RUN", "RUNS"],
    schedules.map((s) => [
      s.name,
      s.scheduleType === "interval" ? `every ${s.scheduleValue}s` : s.scheduleValue,
      statusCell(s.status),
      s.queue,
      formatTime(s.nextRun),
      formatTime(s.lastRun),
      s.runCount,
    ]),
  );
}

export const inspect = defineCommand({
  meta: { name: "inspect", description: "Workers in detail (stale ones flagged), stale-worker cleanup, and recurring schedules" },
  args: {
    stale: { type: "boolean", description: "list only stale workers (active, but silent for over SONIQ_HEARTBEAT_TIMEOUT)" },
    cleanup: { type: "boolean", description: "first mark stale workers stopped and requeue their processing jobs" },
    schedules: { type: "boolean", description: "list every recurring schedule (default: a summary)" },
    ...dbArgs,
    ...jsonArg,
  },
  async run({ args }) {
    await withApp(args, async (app) => {
      try {
        await app.ensureInitialized();
        await app.getQueueStats();
      } catch (error) {
        if (args.json) printJson({ healthy: false, backend: app.backend.kind, error: errorMessage(error) });
        throw new CliError(`database health check failed: ${errorMessage(error)}`);
      }
      const heartbeatTimeout = app.settings.heartbeatTimeout;
      const cleanup = args.cleanup ? await app.backend.rescueStaleWorkers(heartbeatTimeout) : undefined;
      const [workerRows, schedules] = await Promise.all([app.listWorkers(), app.scheduler.list()]);
      const workers = workerViews(workerRows, heartbeatTimeout);
      const active = workers.filter((w) => w.status === "active");
      const stale = workers.filter((w) => w.stale);
      const stopped = workers.filter((w) => w.status === "stopped");
      const totalConcurrency = active.filter((w) => !w.stale).reduce((sum, w) => sum + w.concurrency, 0);
      const scheduleSummary = {
        total: schedules.length,
        active: schedules.filter((s) => s.status === "active").length,
        paused: schedules.filter((s) => s.status === "paused").length,
        nextRun: schedules
          .filter((s) => s.status === "active" && s.nextRun)
          .map((s) => s.nextRun!)
          .sort((a, b) => a.getTime() - b.getTime())[0] ?? null,
      };

      if (args.json) {
        printJson({
          healthy: true,
          backend: app.backend.kind,
          heartbeatTimeout,
          ...(cleanup ? { cleanup } : {}),
          counts: { active: active.length - stale.length, stale: stale.length, stopped: stopped.length, totalConcurrency },
          workers: args.stale ? stale : workers,
          schedules: { ...scheduleSummary, ...(args.schedules ? { list: schedules } : {}) },
        });
        return;
      }

      out(`Database: ${redactUrl(app.settings.databaseUrl)} (${app.backend.kind}) ${paint("healthy", "green")}`);
      if (cleanup) {
        out(`Cleanup: ${plural(cleanup.workers, "stale worker")} marked stopped, ${plural(cleanup.jobs, "job")} requeued`);
      }
      out();
      out(
        `${paint("Workers", "bold")}: ${active.length - stale.length} active, ` +
          `${stale.length ? paint(`${stale.length} stale`, "red") : "0 stale"} (no heartbeat for over ${heartbeatTimeout}s), ` +
          `${stopped.length} stopped; total concurrency ${totalConcurrency}`,
      );
      const shown = args.stale ? stale : workers.filter((w) => w.status !== "stopped");
      if (shown.length > 0) workersTable(shown);
      else out(args.stale ? "(no stale workers)" : "(no live workers)");
      out();
      out(
        `${paint("Recurring schedules", "bold")}: ${scheduleSummary.total} (${scheduleSummary.active} active, ${scheduleSummary.paused} paused)` +
          (scheduleSummary.nextRun ? `; next run ${formatTime(scheduleSummary.nextRun)}` : ""),
      );
      if (args.schedules && schedules.length > 0) schedulesTable(schedules);
    });
  },
});

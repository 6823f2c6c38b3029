/**
 * `soniq scheduler`: import the job modules (for their `app.periodic` jobs), store those
 * schedules, and run the scheduler loop until SIGINT/SIGTERM/SIGHUP. Any number of these may run
 * against one database: one fires each tick, the others take over if it dies.
 */
import { defineCommand } from "citty";
import { Soniq } from "../../soniq.ts";
import type { SchedulerSummary } from "../../scheduler/scheduler.ts";
import { dbArgs, errorMessage, listFlag, logLevelFlag, redactUrl, sameDatabaseUrl, stringFlag } from "../app.ts";
import { forceExit, onShutdownSignals } from "../../core/signals.ts";
import { CliError, ExitCode, UsageError } from "../exit.ts";
import { collectModules, findInstances, importModules, withDeclaredModules, type FoundInstance } from "../modules.ts";
import { flushOutput, note, out, plural } from "../output.ts";

/** `--check-interval`: seconds, decimals allowed (0.01 to 86400). */
export function checkIntervalFlag(value: unknown): number | undefined {
  const raw = stringFlag(value, "--check-interval");
  if (raw === undefined) return undefined;
  const text = raw.trim();
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(n) || n < 0.01 || n > 86_400) {
    throw new UsageError(`--check-interval must be seconds from 0.01 to 86400, got ${JSON.stringify(raw)}`, "soniq scheduler");
  }
  return n;
}

/**
 * The instance to schedule for: the one with `app.periodic` jobs, else the one with jobs, else
 * the only one. Several candidates at the same level is an error.
 */
export function pickSchedulerInstance(instances: readonly FoundInstance[]): FoundInstance | undefined {
  if (instances.length === 0) return undefined;
  const levels = [
    instances.filter((i) => i.app.scheduler.periodicNames.length > 0),
    instances.filter((i) => i.app.jobNames.length > 0),
    instances,
  ];
  for (const level of levels) {
    if (level.length === 1) return level[0];
    if (level.length > 1) {
      throw new CliError(
        `ambiguous: ${level.length} Soniq instances could run the scheduler (${level.map((i) => i.where[0]).join("; ")}); ` +
          "declare periodic jobs on one instance, or run one scheduler per instance with its own --jobs-modules",
      );
    }
  }
  return undefined;
}

export function schedulerSummaryLine(summary: SchedulerSummary): string {
  return `soniq scheduler: stopped after ${plural(summary.ticks, "check")} (${summary.leaderTicks} as leader), ${plural(summary.fired, "job")} enqueued`;
}

export const scheduler = defineCommand({
  meta: { name: "scheduler", description: "Run the scheduler: enqueue periodic and scheduled jobs when they are due" },
  args: {
    "check-interval": { type: "string", valueHint: "seconds", description: "seconds between checks of the schedules (default 30; decimals allowed)" },
    "jobs-modules": {
      type: "string",
      valueHint: "a,b",
      description: "modules that define your jobs and app.periodic schedules; merged after $SONIQ_JOBS_MODULES",
    },
    ...dbArgs,
  },
  async run({ args }) {
    const checkInterval = checkIntervalFlag(args["check-interval"]) ?? 30;
    const databaseUrl = stringFlag(args["database-url"], "--database-url");
    const logLevel = logLevelFlag(args["log-level"]);
    const modules = collectModules(process.env.SONIQ_JOBS_MODULES, listFlag(args["jobs-modules"], "--jobs-modules"));

    // Instances the modules build with `new Soniq()` read these, so the flags reach them too.
    if (databaseUrl !== undefined) process.env.SONIQ_DATABASE_URL = databaseUrl;
    if (logLevel !== undefined) process.env.SONIQ_LOG_LEVEL = logLevel;

    let app: Soniq;
    let source: string;
    const found = modules.length > 0 ? pickSchedulerInstance(findInstances(await withDeclaredModules(await importModules(modules)))) : undefined;
    if (found) {
      app = found.app;
      source = found.where.join(", ");
      if (databaseUrl !== undefined && !sameDatabaseUrl(databaseUrl, app.settings.databaseUrl)) {
        throw new CliError(
          `--database-url ${redactUrl(databaseUrl)} differs from the database of the Soniq instance in ${source} ` +
            `(${redactUrl(app.settings.databaseUrl)}): drop the flag, or let the instance read SONIQ_DATABASE_URL (new Soniq() without databaseUrl)`,
        );
      }
    } else {
      if (modules.length === 0) {
        note("soniq scheduler: no job modules (--jobs-modules or SONIQ_JOBS_MODULES): only schedules already in the database will fire");
      } else {
        note(`soniq scheduler: ${modules.join(", ")} export no Soniq instance: only schedules already in the database will fire`);
      }
      // Without the job code here, schedules are enqueued by name, as a producer-only service would.
      app = new Soniq({
        ...(databaseUrl !== undefined ? { databaseUrl } : {}),
        ...(logLevel === undefined && !process.env.SONIQ_LOG_LEVEL ? { logLevel: "info" as const } : {}),
        ...(process.env.SONIQ_ENQUEUE_VALIDATION ? {} : { enqueueValidation: "none" as const }),
      });
      source = "a fresh instance";
    }

    // First SIGINT/SIGTERM/SIGHUP: finish the current check and stop (exit 0). Second: exit 130 at once.
    let forced = false;
    onShutdownSignals({
      onFirst(signal) {
        note(`soniq scheduler: ${signal} received, stopping after the current check; send it again to exit at once`);
        void app.scheduler.stop();
      },
      onSecond(signal) {
        forced = true;
        note(`soniq scheduler: second ${signal}, exiting now`);
        forceExit(() => flushOutput(), { code: ExitCode.FORCED });
      },
    });

    const periodic = app.scheduler.periodicNames;
    out(
      `soniq scheduler: starting on ${app.backend.kind} ${redactUrl(app.settings.databaseUrl)} (${source}) with ` +
        `${plural(periodic.length, "periodic job")}${periodic.length ? ` (${periodic.join(", ")})` : ""}, ` +
        `checking every ${checkInterval}s until SIGINT/SIGTERM/SIGHUP`,
    );
    let summary: SchedulerSummary;
    try {
      summary = await app.runScheduler({ checkInterval, handleSignals: false });
    } catch (error) {
      if (forced) await new Promise<never>(() => {});
      throw new CliError(`scheduler failed: ${errorMessage(error)}`);
    } finally {
      await app.close().catch(() => {});
    }
    if (forced) await new Promise<never>(() => {}); // forceExit ends the process with 130
    out(schedulerSummaryLine(summary));
    return ExitCode.OK;
  },
});

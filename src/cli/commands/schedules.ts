/** `soniq schedules list|pause|resume|remove|trigger`: manage the schedules stored in the database. */
import { defineCommand } from "citty";
import type { ScheduleRecord } from "../../backends/types.ts";
import { Soniq } from "../../soniq.ts";
import { decodeSpec, describeSpec } from "../../scheduler/spec.ts";
import { dbArgs, jsonArg, logLevelFlag, stringFlag, type DbFlags } from "../app.ts";
import { CliError } from "../exit.ts";
import { type Cell, formatTime, out, printJson, printTable, statusCell, truncate } from "../output.ts";

const nameArg = { name: { type: "positional", description: "schedule (task) name", required: true } } as const;

/**
 * The app for these commands. Enqueue validation is off: `trigger` enqueues by name, and this
 * process does not load the job code (the workers do).
 */
async function withSchedulesApp<T>(flags: DbFlags, fn: (app: Soniq) => Promise<T>): Promise<T> {
  const databaseUrl = stringFlag(flags["database-url"], "--database-url");
  const logLevel = logLevelFlag(flags["log-level"]) ?? (process.env.SONIQ_LOG_LEVEL ? undefined : "warn");
  const app = new Soniq({
    ...(databaseUrl !== undefined ? { databaseUrl } : {}),
    ...(logLevel !== undefined ? { logLevel } : {}),
    enqueueValidation: "none",
  });
  try {
    return await fn(app);
  } finally {
    await app.close().catch(() => {});
  }
}

/** "every 30s", "0 9 * * 1", "0 9 * * 1 (Europe/Paris)", or the raw value if this build cannot read it. */
export function describeSchedule(s: ScheduleRecord): string {
  try {
    return describeSpec(decodeSpec(s.scheduleType, s.scheduleValue));
  } catch {
    return `${s.scheduleType}: ${s.scheduleValue} (unreadable)`;
  }
}

const notFound = (name: string) => new CliError(`no schedule named "${name}" (see soniq schedules list)`);

const list = defineCommand({
  meta: { name: "schedules list", description: "List schedules with their next and last runs" },
  args: {
    ...dbArgs,
    ...jsonArg,
    status: { type: "enum", options: ["active", "paused"], description: "only active or only paused schedules" },
  },
  async run({ args }) {
    const status = stringFlag(args.status, "--status") as "active" | "paused" | undefined;
    await withSchedulesApp(args, async (app) => {
      const schedules = await app.scheduler.list({ status });
      if (args.json) return printJson(schedules);
      if (schedules.length === 0) return out(status ? `No ${status} schedules.` : "No schedules.");
      printTable(
        ["NAME", "STATUS", "SCHEDULE", "QUEUE", "PRIORITY", "NEXT_RUN", "LAST_RUN", "RUNS", "ARGS"],
        schedules.map((s): Cell[] => [
          s.name,
          statusCell(s.status),
          describeSchedule(s),
          s.queue,
          s.priority,
          formatTime(s.nextRun),
          formatTime(s.lastRun),
          s.runCount,
          truncate(JSON.stringify(s.args ?? {}), 40),
        ]),
      );
    });
  },
});

const pause = defineCommand({
  meta: { name: "schedules pause", description: "Stop a schedule from firing (every scheduler honours it at its next check)" },
  args: { ...nameArg, ...dbArgs },
  async run({ args }) {
    await withSchedulesApp(args, async (app) => {
      if (!(await app.scheduler.pause(args.name))) throw notFound(args.name);
      out(`Paused schedule ${args.name}`);
    });
  },
});

const resume = defineCommand({
  meta: { name: "schedules resume", description: "Let a paused schedule fire again (a run missed while paused fires once)" },
  args: { ...nameArg, ...dbArgs },
  async run({ args }) {
    await withSchedulesApp(args, async (app) => {
      if (!(await app.scheduler.resume(args.name))) throw notFound(args.name);
      out(`Resumed schedule ${args.name}`);
    });
  },
});

const remove = defineCommand({
  meta: { name: "schedules remove", description: "Delete a schedule (an app.periodic schedule returns when a scheduler starts)" },
  args: { ...nameArg, ...dbArgs },
  async run({ args }) {
    await withSchedulesApp(args, async (app) => {
      if (!(await app.scheduler.remove(args.name))) throw notFound(args.name);
      out(`Removed schedule ${args.name}`);
    });
  },
});

const trigger = defineCommand({
  meta: { name: "schedules trigger", description: "Enqueue a schedule's job now with its args, queue and priority (next run unchanged)" },
  args: { ...nameArg, ...dbArgs },
  async run({ args }) {
    await withSchedulesApp(args, async (app) => {
      if (!(await app.scheduler.get(args.name))) throw notFound(args.name);
      const id = await app.scheduler.trigger(args.name);
      out(`Enqueued job ${id} for schedule ${args.name}`);
    });
  },
});

/** `soniq schedules list|pause|resume|remove|trigger`. */
export const schedules = defineCommand({
  meta: { name: "schedules", description: "List, pause, resume, remove and trigger recurring schedules" },
  subCommands: { list, pause, resume, remove, trigger },
});

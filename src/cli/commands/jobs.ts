import { defineCommand } from "citty";
import type { JobRecord, JobStatus } from "../../backends/types.ts";
import { dbArgs, intFlag, jsonArg, stringFlag, withApp } from "../app.ts";
import { CliError } from "../exit.ts";
import { type Cell, formatTime, out, printJson, printTable, renderFields, statusCell, truncate } from "../output.ts";

const idArg = { id: { type: "positional", description: "job id", required: true } } as const;

export function jobFields(job: JobRecord): [string, Cell][] {
  return [
    ["id", job.id],
    ["job", job.jobName],
    ["status", statusCell(job.status)],
    ["queue", job.queue],
    ["priority", String(job.priority)],
    ["attempts", `${job.attempts}/${job.maxAttempts}`],
    ["args", JSON.stringify(job.args)],
    ["result", job.result === undefined || job.result === null ? "-" : JSON.stringify(job.result)],
    ["last error", job.lastError ?? "-"],
    ["created", formatTime(job.createdAt)],
    ["updated", formatTime(job.updatedAt)],
    ["scheduled", formatTime(job.scheduledAt)],
    ["expires", formatTime(job.expiresAt)],
    ["unique", job.uniqueJob ? "yes" : "no"],
    ["dedup key", job.dedupKey ?? "-"],
    ["producer", job.producerId ?? "-"],
    ["worker", job.workerId ?? "-"],
  ];
}

const list = defineCommand({
  meta: { name: "jobs list", description: "List jobs, newest first" },
  args: {
    queue: { type: "string", valueHint: "name", description: "only this queue" },
    status: { type: "enum", options: ["queued", "processing", "done", "cancelled"], description: "only this status" },
    "job-name": { type: "string", valueHint: "name", description: "only this task name" },
    limit: { type: "string", valueHint: "n", description: "at most this many rows (default 50)" },
    offset: { type: "string", valueHint: "n", description: "skip this many rows (default 0)" },
    ...dbArgs,
    ...jsonArg,
  },
  async run({ args }) {
    const filter = {
      queue: stringFlag(args.queue, "--queue"),
      status: stringFlag(args.status, "--status") as JobStatus | undefined,
      jobName: stringFlag(args["job-name"], "--job-name"),
      limit: intFlag(args.limit, "--limit", { min: 1, max: 100_000 }) ?? 50,
      offset: intFlag(args.offset, "--offset") ?? 0,
    };
    await withApp(args, async (app) => {
      const jobs = await app.listJobs(filter);
      if (args.json) return printJson(jobs);
      if (jobs.length === 0) return out("No jobs match.");
      printTable(
        ["ID", "JOB", "QUEUE", "STATUS", "ATTEMPTS", "PRIORITY", "CREATED", "LAST_ERROR"],
        jobs.map((j) => [j.id, j.jobName, j.queue, statusCell(j.status), `${j.attempts}/${j.maxAttempts}`, j.priority, formatTime(j.createdAt), truncate(j.lastError, 40)]),
      );
      if (jobs.length === filter.limit) out(`\n(showing ${jobs.length}; use --limit/--offset for more)`);
    });
  },
});

const show = defineCommand({
  meta: { name: "jobs show", description: "Show one job" },
  args: { ...idArg, ...dbArgs, ...jsonArg },
  async run({ args }) {
    await withApp(args, async (app) => {
      const job = await app.getJob(args.id);
      if (job) {
        if (args.json) return printJson(job);
        return out(renderFields(jobFields(job)));
      }
      const dead = await app.deadLetter.get(args.id);
      if (dead) {
        if (args.json) return printJson({ ...dead, status: "dead_letter" });
        out(renderFields([["id", dead.id], ["job", dead.jobName], ["status", statusCell("dead_letter")], ["reason", dead.reason], ["last error", dead.lastError ?? "-"]]));
        return out(`\nThe job is in the dead-letter queue: soniq dead-letter show ${dead.id}`);
      }
      throw new CliError(`job ${args.id} not found`);
    });
  },
});

const cancel = defineCommand({
  meta: { name: "jobs cancel", description: "Cancel a queued job" },
  args: { ...idArg, ...dbArgs },
  async run({ args }) {
    await withApp(args, async (app) => {
      if (await app.cancelJob(args.id)) return out(`Cancelled job ${args.id}`);
      const job = await app.getJob(args.id);
      if (job) throw new CliError(`job ${args.id} is ${job.status}: only queued jobs can be cancelled`);
      if (await app.deadLetter.get(args.id)) throw new CliError(`job ${args.id} is in the dead-letter queue: use soniq dead-letter delete ${args.id}`);
      throw new CliError(`job ${args.id} not found`);
    });
  },
});

const del = defineCommand({
  meta: { name: "jobs delete", description: "Delete a job row (any status)" },
  args: { ...idArg, ...dbArgs },
  async run({ args }) {
    await withApp(args, async (app) => {
      if (await app.deleteJob(args.id)) return out(`Deleted job ${args.id}`);
      if (await app.deadLetter.get(args.id)) throw new CliError(`job ${args.id} is in the dead-letter queue: use soniq dead-letter delete ${args.id}`);
      throw new CliError(`job ${args.id} not found`);
    });
  },
});

/** `soniq jobs list|show|cancel|delete`. */
export const jobs = defineCommand({
  meta: { name: "jobs", description: "List, show, cancel and delete jobs" },
  subCommands: { list, show, cancel, delete: del },
});

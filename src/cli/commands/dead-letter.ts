import { rename, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { defineCommand } from "citty";
import type { DeadLetterFilter, DeadLetterRecord } from "../../backends/types.ts";
import type { Soniq } from "../../soniq.ts";
import { dbArgs, intFlag, jsonArg, listFlag, stringFlag, withApp } from "../app.ts";
import { CliError, UsageError } from "../exit.ts";
import { formatTime, note, out, plural, printJson, printTable, renderFields, statusCell, truncate } from "../output.ts";
import { confirmOrRefuse, refuseWithoutTty } from "../prompt.ts";

const MAX_ROWS = 1_000_000;

const filterArgs = {
  filter: { type: "string", valueHint: "name", description: "only these task names (comma-separated; also --job-name)" },
  "job-name": { type: "string", valueHint: "a,b", description: "same as --filter" },
  queue: { type: "string", valueHint: "a,b", description: "only these queues (comma-separated)" },
  reason: {
    type: "string",
    valueHint: "a,b",
    description: "only these reasons: max_retries_exceeded, timeout, job_not_found, invalid_arguments, ...",
  },
  "older-than": { type: "string", valueHint: "days", description: "only rows moved to the dead-letter queue more than N days ago" },
  limit: { type: "string", valueHint: "n", description: "at most N rows (list: default 50; other actions: all matching)" },
} as const;

const destructiveArgs = {
  "dry-run": { type: "boolean", description: "print what would happen and change nothing" },
  yes: { type: "boolean", alias: "y", description: "do not ask for confirmation (required when stdin is not a TTY)" },
} as const;

const idsArg = {
  ids: { type: "positional", required: false, valueHint: "id ...", description: "dead-letter job ids (one or more)" },
} as const;

interface FilterFlags {
  filter?: unknown;
  "job-name"?: unknown;
  queue?: unknown;
  reason?: unknown;
  "older-than"?: unknown;
  limit?: unknown;
}

function hasFilter(flags: FilterFlags): boolean {
  return ["filter", "job-name", "queue", "reason", "older-than", "limit"].some((k) => flags[k as keyof FilterFlags] !== undefined);
}

export function buildFilter(flags: FilterFlags, defaultLimit: number): DeadLetterFilter {
  const olderThan = intFlag(flags["older-than"], "--older-than", { min: 0, max: 36_500 });
  const filter: DeadLetterFilter = { limit: intFlag(flags.limit, "--limit", { min: 1, max: MAX_ROWS }) ?? defaultLimit };
  if (flags.filter !== undefined && flags["job-name"] !== undefined) throw new UsageError("--filter and --job-name are the same option: give one");
  const jobNames = listFlag(flags.filter, "--filter") ?? listFlag(flags["job-name"], "--job-name");
  const queues = listFlag(flags.queue, "--queue");
  const reasons = listFlag(flags.reason, "--reason");
  if (jobNames) filter.jobNames = jobNames;
  if (queues) filter.queues = queues;
  if (reasons) filter.reasons = reasons;
  if (olderThan !== undefined) filter.before = new Date(Date.now() - olderThan * 86_400_000);
  return filter;
}

/** Positional ids (all of them: citty keeps every positional in `_`). */
function positionalIds(args: { _: string[] }): string[] {
  return [...new Set(args._.map((s) => s.trim()).filter(Boolean))];
}

function rowsTable(rows: DeadLetterRecord[]): void {
  printTable(
    ["ID", "JOB", "QUEUE", "REASON", "ATTEMPTS", "MOVED", "REPLAYED", "LAST_ERROR"],
    rows.map((r) => [r.id, r.jobName, r.queue, { text: r.reason, color: "red" }, `${r.attempts}/${r.maxAttempts}`, formatTime(r.movedAt), r.resurrectionCount, truncate(r.lastError, 40)]),
  );
}

function preview(rows: DeadLetterRecord[], total: number, verb: string): void {
  out(`Would ${verb} ${plural(total, "dead-letter job")}${total > rows.length ? ` (first ${rows.length} shown)` : ""}:`);
  if (rows.length) rowsTable(rows);
  out("(dry run: nothing was changed)");
}

/**
 * The shared flow of `replay` and `delete`: explicit ids, or `--all` rows matching the filters,
 * with --dry-run and the confirmation rule for bulk actions.
 */
async function bulk(
  args: FilterFlags & { _: string[]; all?: boolean; "dry-run"?: boolean; yes?: boolean; "database-url"?: unknown; "log-level"?: unknown },
  verb: "replay" | "delete",
  command: string,
  act: (app: Soniq, id: string) => Promise<string | boolean | null>,
  done: (id: string, result: string | true) => string,
): Promise<number> {
  const ids = positionalIds(args);
  if (args.all && ids.length) throw new UsageError(`give ids or --all, not both`, command);
  if (!args.all && !ids.length) throw new UsageError(`${verb} needs dead-letter ids or --all`, command);
  if (!args.all && hasFilter(args)) throw new UsageError(`--filter (--job-name), --queue, --reason, --older-than and --limit select rows for --all; with ids they are not used`, command);
  const dryRun = Boolean(args["dry-run"]);
  const yes = Boolean(args.yes);
  const filter = args.all ? buildFilter(args, MAX_ROWS) : undefined;

  return withApp(args, async (app) => {
    if (ids.length) {
      // Explicit ids: no confirmation; every missing id is reported and makes the exit code 1.
      let missing = 0;
      for (const id of ids) {
        if (dryRun) {
          const row = await app.deadLetter.get(id);
          if (row) out(`Would ${verb} ${id} (${row.jobName})`);
          else {
            note(`not found: ${id}`);
            missing++;
          }
          continue;
        }
        const result = await act(app, id);
        if (result === null || result === false) {
          note(`not found: ${id}`);
          missing++;
        } else out(done(id, result));
      }
      if (dryRun) out("(dry run: nothing was changed)");
      if (missing) throw new CliError(`${plural(missing, "dead-letter id")} not found`);
      return 0;
    }

    if (!dryRun) refuseWithoutTty(yes);
    const total = Math.min(await app.deadLetter.count({ ...filter, limit: undefined }), filter!.limit ?? MAX_ROWS);
    if (dryRun) {
      preview(await app.deadLetter.list({ ...filter, limit: Math.min(10, filter!.limit ?? 10) }), total, verb);
      return 0;
    }
    if (total === 0) {
      out("No matching dead-letter jobs.");
      return 0;
    }
    await confirmOrRefuse(`${verb === "replay" ? "Replay" : "Delete"} ${plural(total, "dead-letter job")}?`, yes);
    const rows = await app.deadLetter.list(filter!);
    let count = 0;
    for (const row of rows) {
      const result = await act(app, row.id);
      if (result !== null && result !== false) {
        count++;
        out(done(row.id, result));
      }
    }
    out(`${verb === "replay" ? "Replayed" : "Deleted"} ${plural(count, "dead-letter job")}`);
    return 0;
  });
}

const list = defineCommand({
  meta: { name: "dead-letter list", description: "List dead-letter jobs, newest first" },
  args: { ...filterArgs, offset: { type: "string", valueHint: "n", description: "skip N rows" }, ...dbArgs, ...jsonArg },
  async run({ args }) {
    const filter = buildFilter(args, 50);
    const offset = intFlag(args.offset, "--offset");
    if (offset !== undefined) filter.offset = offset;
    await withApp(args, async (app) => {
      const rows = await app.deadLetter.list(filter);
      if (args.json) return printJson(rows);
      if (rows.length === 0) return out("No dead-letter jobs match.");
      rowsTable(rows);
      if (rows.length === filter.limit) out(`\n(showing ${rows.length}; use --limit/--offset for more)`);
    });
  },
});

const show = defineCommand({
  meta: { name: "dead-letter show", description: "Show one dead-letter job" },
  args: { id: { type: "positional", required: true, description: "dead-letter job id" }, ...dbArgs, ...jsonArg },
  async run({ args }) {
    await withApp(args, async (app) => {
      const row = await app.deadLetter.get(args.id);
      if (!row) throw new CliError(`dead-letter job ${args.id} not found`);
      if (args.json) return printJson(row);
      out(
        renderFields([
          ["id", row.id],
          ["job", row.jobName],
          ["status", statusCell("dead_letter")],
          ["reason", row.reason],
          ["queue", row.queue],
          ["priority", String(row.priority)],
          ["attempts", `${row.attempts}/${row.maxAttempts}`],
          ["args", JSON.stringify(row.args)],
          ["last error", row.lastError ?? "-"],
          ["created", formatTime(row.originalCreatedAt)],
          ["moved", formatTime(row.movedAt)],
          ["replayed", `${row.resurrectionCount}${row.lastResurrectionAt ? ` (last ${formatTime(row.lastResurrectionAt)})` : ""}`],
        ]),
      );
    });
  },
});

const replay = defineCommand({
  meta: { name: "dead-letter replay", description: "Enqueue dead-letter jobs again (by id, or --all matching the filters)" },
  args: { ...idsArg, all: { type: "boolean", description: "every row matching the filters" }, ...filterArgs, ...destructiveArgs, ...dbArgs },
  run: ({ args }) =>
    bulk(args, "replay", "soniq dead-letter replay", (app, id) => app.deadLetter.replay(id), (id, newId) => `Replayed ${id} as job ${newId}`),
});

const del = defineCommand({
  meta: { name: "dead-letter delete", description: "Delete dead-letter jobs (by id, or --all matching the filters)" },
  args: { ...idsArg, all: { type: "boolean", description: "every row matching the filters" }, ...filterArgs, ...destructiveArgs, ...dbArgs },
  run: ({ args }) => bulk(args, "delete", "soniq dead-letter delete", (app, id) => app.deadLetter.delete(id), (id) => `Deleted ${id}`),
});

const purge = defineCommand({
  meta: { name: "dead-letter purge", description: "Delete every dead-letter job matching the filters (all of them without filters)" },
  args: { ...filterArgs, ...destructiveArgs, ...dbArgs },
  async run({ args }) {
    if (args.limit !== undefined) throw new UsageError("purge deletes every matching row; --limit is not supported (use delete --all --limit N)", "soniq dead-letter purge");
    const filter = buildFilter(args, MAX_ROWS);
    delete filter.limit;
    const dryRun = Boolean(args["dry-run"]);
    const yes = Boolean(args.yes);
    await withApp(args, async (app) => {
      if (!dryRun) refuseWithoutTty(yes);
      const total = await app.deadLetter.count(filter);
      if (dryRun) return preview(await app.deadLetter.list({ ...filter, limit: 10 }), total, "purge");
      if (total === 0) return out("No matching dead-letter jobs.");
      await confirmOrRefuse(`Permanently delete ${plural(total, "dead-letter job")}?`, yes);
      const n = await app.deadLetter.purge(filter);
      out(`Purged ${plural(n, "dead-letter job")}`);
    });
  },
});

const exportCmd = defineCommand({
  meta: { name: "dead-letter export", description: "Export dead-letter jobs as CSV or JSON" },
  args: {
    ...filterArgs,
    format: { type: "enum", options: ["csv", "json"], default: "csv", description: "output format" },
    output: { type: "string", valueHint: "path", description: "write to this file (default: stdout)" },
    ...dbArgs,
  },
  async run({ args }) {
    const filter = buildFilter(args, MAX_ROWS);
    const format = (args.format ?? "csv") as "csv" | "json";
    const output = stringFlag(args.output, "--output");
    await withApp(args, async (app) => {
      const text = await app.deadLetter.export(filter, format);
      if (!output) {
        return out(text);
      }
      const target = resolve(output);
      const tmp = `${target}.tmp-${process.pid}`;
      await writeFile(tmp, text.endsWith("\n") ? text : `${text}\n`);
      await rename(tmp, target);
      const rows = Math.min(await app.deadLetter.count({ ...filter, limit: undefined }), filter.limit ?? MAX_ROWS);
      out(`Exported ${plural(rows, "dead-letter job")} to ${target} (${format})`);
    });
  },
});

const cleanup = defineCommand({
  meta: { name: "dead-letter cleanup", description: "Delete dead-letter jobs moved more than --days days ago (default 30)" },
  args: {
    days: { type: "string", valueHint: "n", description: "age in days, 0-36500 (default 30)" },
    ...destructiveArgs,
    ...dbArgs,
  },
  async run({ args }) {
    const days = intFlag(args.days, "--days", { min: 0, max: 36_500 }) ?? 30;
    const dryRun = Boolean(args["dry-run"]);
    const yes = Boolean(args.yes);
    await withApp(args, async (app) => {
      if (!dryRun) refuseWithoutTty(yes);
      const filter: DeadLetterFilter = { before: new Date(Date.now() - days * 86_400_000) };
      const total = await app.deadLetter.count(filter);
      if (dryRun) return preview(await app.deadLetter.list({ ...filter, limit: 10 }), total, "delete");
      if (total === 0) return out(`No dead-letter jobs older than ${plural(days, "day")}.`);
      await confirmOrRefuse(`Delete ${plural(total, "dead-letter job")} older than ${plural(days, "day")}?`, yes);
      const n = await app.deadLetter.cleanup(days);
      out(`Deleted ${plural(n, "dead-letter job")} older than ${plural(days, "day")}`);
    });
  },
});

/** `soniq dead-letter list|show|replay|delete|purge|cleanup|export`. */
export const deadLetter = defineCommand({
  meta: { name: "dead-letter", description: "Inspect, replay, delete, purge, clean up and export dead-letter jobs" },
  subCommands: { list, show, replay, delete: del, purge, cleanup, export: exportCmd },
});

/** Commands whose positionals are a list (`replay id1 id2 ...`): extra positionals are allowed. */
export const variadicCommands = new Set<object>([replay, del]);

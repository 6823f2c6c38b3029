import { rename, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type ArgsDef, defineCommand } from "citty";
import type { DeadLetterFilter, DeadLetterRecord, DeadLetterStats } from "../../backends/types.ts";
import { MAX_STATS_HOURS } from "../../dead-letter.ts";
import type { Soniq } from "../../soniq.ts";
import { dbArgs, intFlag, jsonArg, listFlag, repeatedFlag, stringFlag, withApp } from "../app.ts";
import { CliError, UsageError } from "../exit.ts";
import { formatAge, formatTime, note, out, plural, printJson, printTable, renderFields, statusCell, truncate } from "../output.ts";
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
  tag: { type: "string", valueHint: "key=value", description: "only rows tagged key=value (repeatable: every pair must match)" },
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
  tag?: unknown;
  limit?: unknown;
}

function hasFilter(flags: FilterFlags): boolean {
  return ["filter", "job-name", "queue", "reason", "older-than", "tag", "limit"].some((k) => flags[k as keyof FilterFlags] !== undefined);
}

/** `key=value` items as tags (values stay strings); a missing `=`, key or value, or a key given twice, is a usage error. */
export function parseTagPairs(items: readonly string[], what: string, command?: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0 || eq === item.length - 1) throw new UsageError(`${what} takes key=value (both non-empty), got ${JSON.stringify(item)}`, command);
    const key = item.slice(0, eq);
    if (Object.hasOwn(tags, key)) throw new UsageError(`${what}: tag ${JSON.stringify(key)} given twice`, command);
    tags[key] = item.slice(eq + 1);
  }
  return tags;
}

/** Every `--tag key=value` of the command line (citty keeps only the last). */
function tagFilter(rawArgs: readonly string[], defs: Record<string, { type?: string }>): Record<string, string> | undefined {
  const items = repeatedFlag(rawArgs, "tag", defs);
  return items ? parseTagPairs(items, "--tag") : undefined;
}

/** Tags as `key=value, ...` (strings bare, other values as JSON). */
function formatTags(tags: Record<string, unknown> | null): string {
  if (!tags || Object.keys(tags).length === 0) return "-";
  return Object.entries(tags)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(", ");
}

export function buildFilter(flags: FilterFlags, defaultLimit: number, tags?: Record<string, string>): DeadLetterFilter {
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
  if (tags) filter.tags = tags;
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
  tags: Record<string, string> | undefined,
): Promise<number> {
  const ids = positionalIds(args);
  if (args.all && ids.length) throw new UsageError(`give ids or --all, not both`, command);
  if (!args.all && !ids.length) throw new UsageError(`${verb} needs dead-letter ids or --all`, command);
  if (!args.all && hasFilter(args)) throw new UsageError(`--filter (--job-name), --queue, --reason, --older-than, --tag and --limit select rows for --all; with ids they are not used`, command);
  const dryRun = Boolean(args["dry-run"]);
  const yes = Boolean(args.yes);
  const filter = args.all ? buildFilter(args, MAX_ROWS, tags) : undefined;

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

const listArgs = { ...filterArgs, offset: { type: "string", valueHint: "n", description: "skip N rows" }, ...dbArgs, ...jsonArg } as const;
const list = defineCommand({
  meta: { name: "dead-letter list", description: "List dead-letter jobs, newest first" },
  args: listArgs,
  async run({ args, rawArgs }) {
    const filter = buildFilter(args, 50, tagFilter(rawArgs, listArgs));
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
          ["tags", formatTags(row.tags)],
        ]),
      );
    });
  },
});

const bulkArgs = { ...idsArg, all: { type: "boolean", description: "every row matching the filters" }, ...filterArgs, ...destructiveArgs, ...dbArgs } as const;

const replay = defineCommand({
  meta: { name: "dead-letter replay", description: "Enqueue dead-letter jobs again (by id, or --all matching the filters)" },
  args: bulkArgs,
  run: ({ args, rawArgs }) =>
    bulk(
      args,
      "replay",
      "soniq dead-letter replay",
      (app, id) => app.deadLetter.replay(id),
      (id, newId) => `Replayed ${id} as job ${newId}`,
      tagFilter(rawArgs, bulkArgs),
    ),
});

const del = defineCommand({
  meta: { name: "dead-letter delete", description: "Delete dead-letter jobs (by id, or --all matching the filters)" },
  args: bulkArgs,
  run: ({ args, rawArgs }) =>
    bulk(args, "delete", "soniq dead-letter delete", (app, id) => app.deadLetter.delete(id), (id) => `Deleted ${id}`, tagFilter(rawArgs, bulkArgs)),
});

const purgeArgs = { ...filterArgs, ...destructiveArgs, ...dbArgs } as const;
const purge = defineCommand({
  meta: { name: "dead-letter purge", description: "Delete every dead-letter job matching the filters (all of them without filters)" },
  args: purgeArgs,
  async run({ args, rawArgs }) {
    if (args.limit !== undefined) throw new UsageError("purge deletes every matching row; --limit is not supported (use delete --all --limit N)", "soniq dead-letter purge");
    const filter = buildFilter(args, MAX_ROWS, tagFilter(rawArgs, purgeArgs));
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

const exportArgs = {
  ...filterArgs,
  format: { type: "enum", options: ["csv", "json"], default: "csv", description: "output format" },
  output: { type: "string", valueHint: "path", description: "write to this file (default: stdout)" },
  ...dbArgs,
} satisfies ArgsDef;
const exportCmd = defineCommand({
  meta: { name: "dead-letter export", description: "Export dead-letter jobs as CSV or JSON" },
  args: exportArgs,
  async run({ args, rawArgs }) {
    const filter = buildFilter(args, MAX_ROWS, tagFilter(rawArgs, exportArgs));
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

const tag = defineCommand({
  meta: { name: "dead-letter tag", description: "Add tags to a dead-letter job (merged into its tags; values are stored as strings)" },
  args: {
    id: { type: "positional", required: true, description: "dead-letter job id" },
    tags: { type: "positional", required: false, valueHint: "key=value ...", description: "one or more tags" },
    ...dbArgs,
    ...jsonArg,
  },
  async run({ args }) {
    const command = "soniq dead-letter tag";
    const pairs = args._.slice(1);
    if (pairs.length === 0) throw new UsageError("tag needs a dead-letter id and at least one key=value", command);
    const tags = parseTagPairs(pairs, "tag", command);
    await withApp(args, async (app) => {
      if (!(await app.deadLetter.addTags(args.id, tags))) throw new CliError(`dead-letter job ${args.id} not found`);
      const merged = (await app.deadLetter.get(args.id))?.tags ?? tags;
      if (args.json) return printJson({ id: args.id, tags: merged });
      out(`Tagged ${args.id}: ${formatTags(merged)}`);
    });
  },
});

/** `--hours N`: a number > 0 (fractions allowed), at most MAX_STATS_HOURS. */
function hoursFlag(value: unknown): number | undefined {
  const raw = stringFlag(value, "--hours");
  if (raw === undefined) return undefined;
  const text = raw.trim();
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n > 0) || n > MAX_STATS_HOURS) {
    throw new UsageError(`--hours must be a number > 0 and <= ${MAX_STATS_HOURS}, got ${JSON.stringify(raw)}`, "soniq dead-letter stats");
  }
  return n;
}

function countsTable(title: string, counts: Record<string, number>, byKey = false): void {
  const rows = Object.entries(counts).sort(([a, x], [b, y]) => (byKey ? b.localeCompare(a) : y - x || a.localeCompare(b)));
  if (rows.length === 0) return;
  out("");
  printTable([title, "COUNT"], rows.map(([k, n]) => [k, n]));
}

function printStats(s: DeadLetterStats, hours: number | undefined): void {
  const window = hours === undefined ? "" : ` (moved in the last ${plural(hours, "hour")})`;
  out(
    renderFields([
      ["dead-letter jobs", `${s.total}${window}`],
      ["oldest", s.oldestAgeHours === null ? "-" : `${formatAge(s.oldestAgeHours * 3600)} ago`],
      ["replayed", `${s.resurrectedCount} (${s.resurrectionSuccessRate.toFixed(1)}%)`],
    ]),
  );
  countsTable("REASON", s.byReason);
  countsTable("JOB", s.byJobName);
  countsTable("QUEUE", s.byQueue);
  countsTable("DAY (UTC, LAST 7 DAYS)", s.byDate, true);
}

const stats = defineCommand({
  meta: { name: "dead-letter stats", description: "Dead-letter totals by reason, job name, queue and day, and the share replayed" },
  args: {
    hours: { type: "string", valueHint: "n", description: "only rows moved within the last N hours (the by-day counts always cover 7 days)" },
    ...dbArgs,
    ...jsonArg,
  },
  async run({ args }) {
    const hours = hoursFlag(args.hours);
    await withApp(args, async (app) => {
      const s = await app.deadLetter.stats(hours === undefined ? {} : { hours });
      if (args.json) return printJson(s);
      printStats(s, hours);
    });
  },
});

/** `soniq dead-letter list|show|replay|delete|purge|cleanup|export|tag|stats`. */
export const deadLetter = defineCommand({
  meta: { name: "dead-letter", description: "Inspect, replay, delete, purge, clean up, export, tag and count dead-letter jobs" },
  subCommands: { list, show, replay, delete: del, purge, cleanup, export: exportCmd, tag, stats },
});

/** Commands whose positionals are a list (`replay id1 id2 ...`): extra positionals are allowed. */
export const variadicCommands = new Set<object>([replay, del, tag]);

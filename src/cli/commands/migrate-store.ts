/**
 * `soniq migrate-store --from URL --to URL`: copy a project's queue from one store to another
 * (SQLite to PostgreSQL first; also PostgreSQL to SQLite and file to file): the queued jobs, the
 * schedules and the dead letters, each row as it is. The source is only read. Everything is
 * checked before anything is written; see src/backends/store-copy.ts for the rules.
 */
import { existsSync } from "node:fs";
import { defineCommand } from "citty";
import {
  DEFAULT_STORE_BATCH_SIZE,
  executeStoreCopy,
  planStoreCopy,
  StoreCopyInterrupted,
  type StoreConflict,
  type StoreCopyPlan,
  type StoreCopyProgress,
} from "../../backends/store-copy.ts";
import type { StorageBackend } from "../../backends/types.ts";
import { ErrorCodes, isSoniqError } from "../../errors.ts";
import type { Soniq } from "../../soniq.ts";
import { buildApp, dbArgs, errorMessage, intFlag, redactUrl, sameDatabaseUrl, stringFlag } from "../app.ts";
import { CliError, UsageError } from "../exit.ts";
import { note, out, plural, printTable } from "../output.ts";
import { confirmOrRefuse, refuseWithoutTty } from "../prompt.ts";

const COMMAND = "soniq migrate-store";
const MAX_BATCH = 10_000;
const SHOWN_CONFLICTS = 20;

const LABEL: Record<StoreConflict["kind"], string> = { job: "queued jobs", schedule: "schedules", dead_letter: "dead letters" };

interface TargetState {
  /** The tables a copy could collide with exist (so they can be looked up). */
  tables: boolean;
  /** `setup()` must run before writing. */
  needsSetup: boolean;
  /** Why, for the header. */
  note: string | null;
}

/** The URL flag, refused when missing or naming a store no other process can reach. */
function urlFlag(value: unknown, flag: "--from" | "--to"): string {
  const url = stringFlag(value, flag)?.trim();
  if (!url) throw new UsageError(`${flag} URL is required (postgres://..., sqlite:PATH or a *.db path)`, COMMAND);
  if (url === "memory:" || url === "memory://" || /^sqlite:(\/\/)?:memory:$/.test(url) || url === ":memory:") {
    throw new UsageError(
      `${flag} ${url} is refused: a memory store lives inside one process, so migrate-store (another process) can neither read nor fill it; ` +
        "copy between a SQLite file and PostgreSQL instead",
      COMMAND,
    );
  }
  return url;
}

/** The app's backend; an unrecognised URL is a usage error. */
function backendOf(app: Soniq, flag: string): StorageBackend {
  try {
    return app.backend;
  } catch (error) {
    if (isSoniqError(error) && error.code === ErrorCodes.INVALID_DATABASE_URL) throw new UsageError(`${flag}: ${errorMessage(error)}`, COMMAND);
    throw error;
  }
}

function sqlitePath(backend: StorageBackend): string | null {
  return backend.kind === "sqlite" ? (backend as StorageBackend & { path: string }).path : null;
}

/** The source must exist, hold a Soniq schema, and be at rest: no processing job, no live worker. */
async function checkSource(app: Soniq, backend: StorageBackend, shown: string): Promise<void> {
  const path = sqlitePath(backend);
  if (path !== null && !existsSync(path)) throw new CliError(`the source SQLite file ${path} does not exist`);
  let migrations: Awaited<ReturnType<StorageBackend["migrationStatus"]>>;
  try {
    migrations = await backend.migrationStatus();
  } catch (error) {
    throw new CliError(`could not read the source ${shown}: ${errorMessage(error)}`);
  }
  if (!migrations.some((m) => m.applied)) throw new CliError(`the source ${shown} holds no Soniq schema: nothing to copy`);

  const stats = await backend.getQueueStats();
  if (stats.processing > 0) {
    throw new CliError(
      `the source has ${plural(stats.processing, "processing job")}: stop its workers and let them finish, then run migrate-store again ` +
        "(jobs of a worker that died stay processing until it counts as stale: `soniq inspect --cleanup --database-url <source>` requeues them)",
    );
  }
  const now = Date.now();
  const live = (await backend.listWorkers()).filter((w) => {
    if (w.status === "stopped") return false;
    const limit = w.metadata?.heartbeat === "thread" ? app.settings.rescueAfter : app.settings.heartbeatTimeout;
    return now - w.lastHeartbeat.getTime() < limit * 1000;
  });
  if (live.length > 0) {
    const names = live.slice(0, 3).map((w) => `${w.hostname}:${w.pid}`).join(", ") + (live.length > 3 ? ", ..." : "");
    throw new CliError(
      `${plural(live.length, "worker")} still running on the source (${names}): stop them first, or the copied jobs would run from both stores ` +
        "(a worker that died counts until its heartbeat is stale: `soniq inspect --cleanup --database-url <source>` marks it stopped)",
    );
  }
}

/** Whether the target has its schema, without creating anything (a dry run writes nothing, not even an empty file). */
async function targetState(backend: StorageBackend, shown: string): Promise<TargetState> {
  const path = sqlitePath(backend);
  if (path !== null && !existsSync(path)) return { tables: false, needsSetup: true, note: "the file does not exist yet: it is created with the schema" };
  let migrations: Awaited<ReturnType<StorageBackend["migrationStatus"]>>;
  try {
    migrations = await backend.migrationStatus();
  } catch (error) {
    if ((error as { code?: unknown })?.code === "3D000") {
      return { tables: false, needsSetup: true, note: "the database does not exist yet: setup creates it and the schema" };
    }
    throw new CliError(`could not read the target ${shown}: ${errorMessage(error)}`);
  }
  const applied = migrations.filter((m) => m.applied);
  if (applied.length === 0) return { tables: false, needsSetup: true, note: "no Soniq schema yet: setup creates it first" };
  if (applied.length < migrations.length) {
    const core = backend.kind !== "postgres" || ["0001", "0002", "0003"].every((v) => applied.some((m) => m.version === v));
    return { tables: core, needsSetup: true, note: `schema behind: setup applies ${plural(migrations.length - applied.length, "pending migration")} first` };
  }
  return { tables: true, needsSetup: false, note: null };
}

function printPlan(plan: StoreCopyPlan): void {
  printTable(
    ["WHAT", "IN SOURCE", "TO COPY", "ALREADY THERE", "COPIED BEFORE"],
    ([
      ["queued jobs", plan.jobs],
      ["schedules", plan.schedules],
      ["dead letters", plan.deadLetters],
    ] as const).map(([what, c]) => [what, c.total, c.copy, c.present, c.copiedBefore]),
  );
}

function printConflicts(conflicts: readonly StoreConflict[], total: number): void {
  note(`Conflicts (${total}):`);
  for (const c of conflicts.slice(0, SHOWN_CONFLICTS)) note(`  ${c.message}`);
  if (total > Math.min(conflicts.length, SHOWN_CONFLICTS)) note(`  ... and ${total - Math.min(conflicts.length, SHOWN_CONFLICTS)} more`);
}

function summary(jobs: number, schedules: number, deadLetters: number): string {
  return `${plural(jobs, "queued job")}, ${plural(schedules, "schedule")} and ${plural(deadLetters, "dead letter")}`;
}

export const migrateStore = defineCommand({
  meta: {
    name: "migrate-store",
    description: "Copy the queued jobs, schedules and dead letters from one store to another (e.g. SQLite to PostgreSQL); the source is only read",
  },
  args: {
    from: { type: "string", valueHint: "url", description: "the store to copy from: sqlite:PATH, a *.db path or postgres://... (only read)" },
    to: { type: "string", valueHint: "url", description: "the store to copy into (its schema is created first when missing)" },
    "dry-run": { type: "boolean", description: "print what would be copied and any conflicts; write nothing" },
    yes: { type: "boolean", alias: "y", description: "do not ask for confirmation (required when stdin is not a TTY)" },
    "batch-size": { type: "string", valueHint: "n", description: `rows per batch, each written in one transaction (default ${DEFAULT_STORE_BATCH_SIZE})` },
    "log-level": dbArgs["log-level"],
  },
  async run({ args }) {
    const from = urlFlag(args.from, "--from");
    const to = urlFlag(args.to, "--to");
    if (sameDatabaseUrl(from, to)) throw new UsageError("--from and --to name the same store", COMMAND);
    const batchSize = intFlag(args["batch-size"], "--batch-size", { min: 1, max: MAX_BATCH }) ?? DEFAULT_STORE_BATCH_SIZE;
    const dryRun = Boolean(args["dry-run"]);
    const yes = Boolean(args.yes);
    // A script without --yes fails before touching anything, on its first run.
    if (!dryRun) refuseWithoutTty(yes);

    const sourceApp = buildApp({ "database-url": from, "log-level": args["log-level"] });
    const targetApp = buildApp({ "database-url": to, "log-level": args["log-level"] });
    try {
      const source = backendOf(sourceApp, "--from");
      const target = backendOf(targetApp, "--to");
      const shownFrom = redactUrl(from);
      const shownTo = redactUrl(to);
      await checkSource(sourceApp, source, shownFrom);
      const state = await targetState(target, shownTo);
      out(`From: ${shownFrom} (${source.kind}; only read)`);
      out(`To:   ${shownTo} (${target.kind})${state.note ? `: ${state.note}` : ""}`);

      const options = { batchSize, targetKind: target.kind };
      const plan = await planStoreCopy(source, state.tables ? target : null, options);
      out("");
      printPlan(plan);
      if (plan.conflictCount > 0) {
        printConflicts(plan.conflicts, plan.conflictCount);
        throw new CliError(
          `the target holds ${plural(plan.conflictCount, "conflicting row")}: ${dryRun ? "the copy would be refused" : "nothing was written"} ` +
            "(remove or rename them in the target, or copy into another database)",
        );
      }
      const toCopy = plan.jobs.copy + plan.schedules.copy + plan.deadLetters.copy;
      const present = plan.jobs.present + plan.schedules.present + plan.deadLetters.present;
      if (dryRun) {
        out(`\nWould copy ${summary(plan.jobs.copy, plan.schedules.copy, plan.deadLetters.copy)}${state.needsSetup && toCopy + present > 0 ? `, after running setup on the target` : ""}.`);
        out("(dry run: nothing was written)");
        return 0;
      }
      if (toCopy + present === 0) {
        out("\nNothing to copy: the target already holds everything the source has (or the source is empty).");
        return 0;
      }
      await confirmOrRefuse(`Copy ${summary(plan.jobs.copy, plan.schedules.copy, plan.deadLetters.copy)} into ${shownTo}?`, yes);

      if (state.needsSetup) {
        const applied = await targetApp.setup();
        out(`\nTarget schema set up (${target.kind === "postgres" ? plural(applied, "migration") + " applied" : "tables created"}).`);
      }
      out("");
      const onBatch = (p: StoreCopyProgress) => out(`${LABEL[p.kind]}: batch ${p.batch}, ${p.written} written (${p.done}/${p.total})`);
      let result: Awaited<ReturnType<typeof executeStoreCopy>>;
      try {
        result = await executeStoreCopy(source, target, { ...options, totals: plan, onBatch });
      } catch (error) {
        if (!(error instanceof StoreCopyInterrupted)) throw error;
        if (error.conflicts.length) printConflicts(error.conflicts, error.conflicts.length);
        const w = error.written;
        throw new CliError(
          `${error.message}. Stopped after copying ${summary(w.jobs, w.schedules, w.deadLetters)}: each batch is one transaction, ` +
            "so the target holds whole batches only; run the command again to copy the rest (rows already copied are skipped)",
        );
      }
      out(`\nCopied ${summary(result.jobs, result.schedules, result.deadLetters)} into ${shownTo}${result.present ? ` (${result.present} already there)` : ""}.`);
      out(
        "The source is unchanged. Point your workers, scheduler and producers at the target, then delete the source: " +
          "workers on both stores would run the same jobs twice.",
      );
      return 0;
    } finally {
      await Promise.all([sourceApp.close().catch(() => {}), targetApp.close().catch(() => {})]);
    }
  },
});

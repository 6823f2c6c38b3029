/**
 * Copying a queue from one store to another (`soniq migrate-store`): the queued jobs, the schedules
 * and the dead letters, each row as it is (ids, attempts, run times, dedup keys, run history).
 *
 * Two passes over the source, page by page, so a queue of any size fits in memory:
 * 1. `planStoreCopy` reads everything and asks the target which rows could collide, writing nothing.
 *    A row already in the target with the same content is counted `present`; one an earlier copy
 *    recorded in the target's ledger (`soniq_store_imports`) is `copiedBefore`, even if a worker has
 *    since run and removed it; anything else that collides is a conflict.
 * 2. `executeStoreCopy` reads the source again and writes each batch in one transaction of the
 *    target (`importStoreRows`), re-checking it first: a target that changed in between stops the
 *    copy at that batch (the batches before it stay written; a re-run skips them).
 * The source is only read.
 */
import type {
  StorageBackend,
  StoredDeadLetter,
  StoredJob,
  StoredSchedule,
  StoreImportBatch,
  StoreLookup,
  StoreLookupResult,
  StoreRowKind,
} from "./types.ts";
import { isStorableText } from "../core/text.ts";

export const DEFAULT_STORE_BATCH_SIZE = 500;

export interface StoreCopyCounts {
  /** Rows in the source. */
  total: number;
  /** Rows to write. */
  copy: number;
  /** Rows the target already holds with the same content (recorded in its ledger, not written). */
  present: number;
  /** Rows an earlier copy into the target recorded (skipped, whatever happened to them since). */
  copiedBefore: number;
}

export interface StoreConflict {
  kind: StoreRowKind;
  /** The job id, dead-letter id or schedule name. */
  key: string;
  message: string;
}

export interface StoreCopyPlan {
  jobs: StoreCopyCounts;
  schedules: StoreCopyCounts;
  deadLetters: StoreCopyCounts;
  /** The first conflicts found (at most `maxConflicts`); `conflictCount` counts them all. */
  conflicts: StoreConflict[];
  conflictCount: number;
}

export interface StoreCopyProgress {
  kind: StoreRowKind;
  /** 1-based batch number within this kind. */
  batch: number;
  /** Rows written by this batch. */
  written: number;
  /** Rows of this kind handled so far (written, present or copied before) and in all. */
  done: number;
  total: number;
}

export interface StoreCopyOptions {
  batchSize?: number;
  /** What the target is: ids must be UUIDs on PostgreSQL. */
  targetKind: StorageBackend["kind"];
  maxConflicts?: number;
}

/** The target changed between the check and the write: the copy stopped at a batch. */
export class StoreCopyInterrupted extends Error {
  override readonly name = "StoreCopyInterrupted";
  constructor(
    message: string,
    readonly written: { jobs: number; schedules: number; deadLetters: number },
    readonly conflicts: StoreConflict[],
  ) {
    super(message);
  }
}

interface SourceBatch {
  kind: StoreRowKind;
  jobs: StoredJob[];
  deadLetters: StoredDeadLetter[];
  schedules: StoredSchedule[];
}

/** The source, a batch at a time: queued jobs, then schedules, then dead letters. */
async function* sourceBatches(source: StorageBackend, batchSize: number): AsyncGenerator<SourceBatch> {
  let after: string | null = null;
  for (;;) {
    const jobs = await source.exportQueuedJobs(after, batchSize);
    if (jobs.length === 0) break;
    yield { kind: "job", jobs, deadLetters: [], schedules: [] };
    if (jobs.length < batchSize) break;
    after = jobs[jobs.length - 1]!.id;
  }
  const schedules = await source.exportSchedules();
  for (let i = 0; i < schedules.length; i += batchSize) {
    yield { kind: "schedule", jobs: [], deadLetters: [], schedules: schedules.slice(i, i + batchSize) };
  }
  after = null;
  for (;;) {
    const deadLetters = await source.exportDeadLetters(after, batchSize);
    if (deadLetters.length === 0) break;
    yield { kind: "dead_letter", jobs: [], deadLetters, schedules: [] };
    if (deadLetters.length < batchSize) break;
    after = deadLetters[deadLetters.length - 1]!.id;
  }
}

function lookupOf(b: SourceBatch): StoreLookup {
  return {
    jobIds: b.jobs.map((j) => j.id),
    deadLetterIds: b.deadLetters.map((d) => d.id),
    scheduleNames: b.schedules.map((s) => s.name),
    uniqueKeys: b.jobs.filter((j) => j.uniqueJob && j.argsHash !== null).map((j) => ({ jobName: j.jobName, argsHash: j.argsHash! })),
    dedupKeys: b.jobs.flatMap((j) => (j.dedupKey === null ? [] : [j.dedupKey])),
  };
}

const EMPTY_LOOKUP: StoreLookupResult = { jobs: [], deadLetters: [], schedules: [], imported: [] };

interface Decision {
  batch: StoreImportBatch;
  copiedBefore: number;
  conflicts: StoreConflict[];
}

/** What to do with each row of a source batch, given what the target holds. */
export function decideBatch(b: SourceBatch, found: StoreLookupResult, targetKind: StorageBackend["kind"]): Decision {
  const imported = new Set(found.imported.map((i) => `${i.kind}\u0000${i.key}`));
  const wasImported = (kind: StoreRowKind, key: string) => imported.has(`${kind}\u0000${key}`);
  const jobsById = new Map(found.jobs.map((j) => [j.id, j]));
  const deadById = new Map(found.deadLetters.map((d) => [d.id, d]));
  const schedulesByName = new Map(found.schedules.map((s) => [s.name, s]));
  const uniqueHolder = new Map<string, StoredJob>();
  const dedupHolder = new Map<string, StoredJob>();
  for (const j of found.jobs) {
    if (j.status !== "queued") continue;
    if (j.uniqueJob && j.argsHash !== null) uniqueHolder.set(`${j.jobName}\u0000${j.argsHash}`, j);
    if (j.dedupKey !== null) dedupHolder.set(j.dedupKey, j);
  }
  const uuidsOnly = targetKind === "postgres";
  const d: Decision = { batch: { jobs: [], deadLetters: [], schedules: [], present: [] }, copiedBefore: 0, conflicts: [] };
  const conflict = (kind: StoreRowKind, key: string, message: string) => d.conflicts.push({ kind, key, message });

  for (const job of b.jobs) {
    if (wasImported("job", job.id)) {
      d.copiedBefore++;
      continue;
    }
    const bad =
      invalidJson(job.argsJson, "args") ??
      (uuidsOnly && !isUuid(job.id) ? NOT_UUID : null) ??
      (uuidsOnly && !storable([job.jobName, job.argsHash, job.queue, job.dedupKey, job.lastError, job.producerId], [job.argsJson]) ? UNSTORABLE : null);
    if (bad) {
      conflict("job", job.id, `queued job ${job.id} (${job.jobName}): ${bad}`);
      continue;
    }
    const same = jobsById.get(job.id);
    const dead = deadById.get(job.id);
    if (same || dead) {
      const diff = same ? jobDiff(job, same) : deadJobDiff(job, dead!);
      if (diff.length === 0) d.batch.present.push({ kind: "job", key: job.id });
      else conflict("job", job.id, `queued job ${job.id} (${job.jobName}): the target holds ${same ? "a job" : "a dead letter"} with this id and a different ${diff.join(", ")}`);
      continue;
    }
    if (job.uniqueJob && job.argsHash !== null) {
      const holder = uniqueHolder.get(`${job.jobName}\u0000${job.argsHash}`);
      if (holder && holder.id !== job.id) {
        conflict("job", job.id, `unique job ${job.id} (${job.jobName}): the target's queued job ${holder.id} has the same args (args_hash ${job.argsHash.slice(0, 12)}...)`);
        continue;
      }
    }
    if (job.dedupKey !== null) {
      const holder = dedupHolder.get(job.dedupKey);
      if (holder && holder.id !== job.id) {
        conflict("job", job.id, `job ${job.id} (${job.jobName}): the target's queued job ${holder.id} holds the same dedup key ${JSON.stringify(job.dedupKey)}`);
        continue;
      }
    }
    d.batch.jobs.push(job);
  }

  for (const s of b.schedules) {
    if (wasImported("schedule", s.name)) {
      d.copiedBefore++;
      continue;
    }
    const bad =
      invalidJson(s.argsJson, "args") ??
      (uuidsOnly && !isUuid(s.id) ? NOT_UUID : null) ??
      (uuidsOnly && !storable([s.name, s.scheduleValue, s.queue], [s.argsJson]) ? UNSTORABLE : null);
    if (bad) {
      conflict("schedule", s.name, `schedule ${s.name}: ${bad}`);
      continue;
    }
    const there = schedulesByName.get(s.name);
    if (there) {
      const diff = scheduleDiff(s, there);
      if (diff.length === 0) d.batch.present.push({ kind: "schedule", key: s.name });
      else conflict("schedule", s.name, `schedule ${s.name}: the target has a different definition (${diff.join("; ")})`);
      continue;
    }
    d.batch.schedules.push(uuidsOnly && s.lastJobId !== null && !isUuid(s.lastJobId) ? { ...s, lastJobId: null } : s);
  }

  for (const dl of b.deadLetters) {
    if (wasImported("dead_letter", dl.id)) {
      d.copiedBefore++;
      continue;
    }
    const bad =
      invalidJson(dl.argsJson, "args") ??
      invalidJson(dl.tagsJson, "tags") ??
      (uuidsOnly && !isUuid(dl.id) ? NOT_UUID : null) ??
      (uuidsOnly && !storable([dl.jobName, dl.queue, dl.lastError, dl.reason], [dl.argsJson, dl.tagsJson]) ? UNSTORABLE : null);
    if (bad) {
      conflict("dead_letter", dl.id, `dead letter ${dl.id} (${dl.jobName}): ${bad}`);
      continue;
    }
    const there = deadById.get(dl.id);
    if (there) {
      const diff = deadLetterDiff(dl, there);
      if (diff.length === 0) d.batch.present.push({ kind: "dead_letter", key: dl.id });
      else conflict("dead_letter", dl.id, `dead letter ${dl.id} (${dl.jobName}): the target holds one with this id and a different ${diff.join(", ")}`);
      continue;
    }
    d.batch.deadLetters.push(dl);
  }
  return d;
}

function counts(): StoreCopyCounts {
  return { total: 0, copy: 0, present: 0, copiedBefore: 0 };
}

function countsOf(plan: Pick<StoreCopyPlan, "jobs" | "schedules" | "deadLetters">, kind: StoreRowKind): StoreCopyCounts {
  return kind === "job" ? plan.jobs : kind === "schedule" ? plan.schedules : plan.deadLetters;
}

function rowsIn(b: SourceBatch): number {
  return b.jobs.length + b.schedules.length + b.deadLetters.length;
}

function written(batch: StoreImportBatch): number {
  return batch.jobs.length + batch.schedules.length + batch.deadLetters.length;
}

/**
 * Read the whole source and check every row against the target; write nothing. `target` null:
 * the target has no schema yet, so nothing there can collide.
 */
export async function planStoreCopy(source: StorageBackend, target: StorageBackend | null, options: StoreCopyOptions): Promise<StoreCopyPlan> {
  const batchSize = options.batchSize ?? DEFAULT_STORE_BATCH_SIZE;
  const maxConflicts = options.maxConflicts ?? 50;
  const plan: StoreCopyPlan = { jobs: counts(), schedules: counts(), deadLetters: counts(), conflicts: [], conflictCount: 0 };
  for await (const b of sourceBatches(source, batchSize)) {
    const found = target ? await target.lookupStoreRows(lookupOf(b)) : EMPTY_LOOKUP;
    const d = decideBatch(b, found, options.targetKind);
    const c = countsOf(plan, b.kind);
    c.total += rowsIn(b);
    c.copy += written(d.batch);
    c.present += d.batch.present.length;
    c.copiedBefore += d.copiedBefore;
    plan.conflictCount += d.conflicts.length;
    for (const x of d.conflicts) if (plan.conflicts.length < maxConflicts) plan.conflicts.push(x);
  }
  return plan;
}

export interface StoreCopyResult {
  jobs: number;
  schedules: number;
  deadLetters: number;
  /** Rows found already in the target (recorded in its ledger, not written). */
  present: number;
}

/**
 * Copy, a batch per target transaction, after `planStoreCopy` found no conflict. `totals` (from the
 * plan) only feed the progress reports.
 */
export async function executeStoreCopy(
  source: StorageBackend,
  target: StorageBackend,
  options: StoreCopyOptions & { totals?: Pick<StoreCopyPlan, "jobs" | "schedules" | "deadLetters">; onBatch?: (p: StoreCopyProgress) => void },
): Promise<StoreCopyResult> {
  const batchSize = options.batchSize ?? DEFAULT_STORE_BATCH_SIZE;
  const result: StoreCopyResult = { jobs: 0, schedules: 0, deadLetters: 0, present: 0 };
  const progress: Record<StoreRowKind, { batch: number; done: number }> = {
    job: { batch: 0, done: 0 },
    schedule: { batch: 0, done: 0 },
    dead_letter: { batch: 0, done: 0 },
  };
  const stop = (message: string, conflicts: StoreConflict[]) =>
    new StoreCopyInterrupted(message, { jobs: result.jobs, schedules: result.schedules, deadLetters: result.deadLetters }, conflicts);
  for await (const b of sourceBatches(source, batchSize)) {
    const d = decideBatch(b, await target.lookupStoreRows(lookupOf(b)), options.targetKind);
    if (d.conflicts.length > 0) throw stop("the target changed during the copy", d.conflicts);
    if (written(d.batch) > 0 || d.batch.present.length > 0) {
      try {
        await target.importStoreRows(d.batch);
      } catch (error) {
        throw stop(`a batch could not be written: ${(error as Error)?.message ?? String(error)}`, []);
      }
    }
    result.jobs += d.batch.jobs.length;
    result.schedules += d.batch.schedules.length;
    result.deadLetters += d.batch.deadLetters.length;
    result.present += d.batch.present.length;
    const p = progress[b.kind];
    p.batch++;
    p.done += rowsIn(b);
    const total = options.totals ? countsOf(options.totals, b.kind).total : p.done;
    options.onBatch?.({ kind: b.kind, batch: p.batch, written: written(d.batch), done: p.done, total: Math.max(total, p.done) });
  }
  return result;
}

// ---------------------------------------------------------------- comparing rows

const NOT_UUID = "its id is not a UUID (PostgreSQL ids are UUIDs)";
const UNSTORABLE = "it holds a NUL character or a lone surrogate, which PostgreSQL cannot store";

/** Text PostgreSQL can store, in the plain columns and inside the JSON ones (already checked to parse). */
function storable(texts: readonly (string | null)[], jsons: readonly (string | null)[]): boolean {
  const deep = (v: unknown): boolean => {
    if (typeof v === "string") return isStorableText(v);
    if (Array.isArray(v)) return v.every(deep);
    if (v !== null && typeof v === "object") return Object.entries(v).every(([k, x]) => isStorableText(k) && deep(x));
    return true;
  };
  return texts.every((t) => t === null || isStorableText(t)) && jsons.every((j) => j === null || deep(JSON.parse(j)));
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function isUuid(id: string): boolean {
  return UUID_RE.test(id);
}

function invalidJson(text: string | null, what: string): string | null {
  if (text === null) return null;
  try {
    JSON.parse(text);
    return null;
  } catch {
    return `its ${what} are not valid JSON`;
  }
}

/** JSON text in a form that ignores key order and spacing (jsonb reorders keys; SQLite keeps the text). */
export function canonicalJson(text: string | null): string {
  if (text === null) return "null";
  return stable(JSON.parse(text));
}

function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stable(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Whole milliseconds: SQLite keeps milliseconds, PostgreSQL microseconds. */
function sameTime(a: Date | null, b: Date | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.floor(a.getTime()) === Math.floor(b.getTime());
}

/**
 * The fields of a job that never change once it is enqueued. Status, attempts, run time, last error
 * and the dedup claim change as a worker runs it, so a copied job the target has since run is
 * still the same job.
 */
function jobDiff(a: StoredJob, b: StoredJob): string[] {
  const diff: string[] = [];
  if (a.jobName !== b.jobName) diff.push("job name");
  if (canonicalJson(a.argsJson) !== canonicalJson(b.argsJson)) diff.push("args");
  if (a.argsHash !== b.argsHash && a.argsHash !== null && b.argsHash !== null) diff.push("args_hash");
  if (a.queue !== b.queue) diff.push("queue");
  if (a.priority !== b.priority) diff.push("priority");
  if (a.maxAttempts !== b.maxAttempts) diff.push("max_attempts");
  if (a.producerId !== b.producerId) diff.push("producer_id");
  if (!sameTime(a.createdAt, b.createdAt)) diff.push("created_at");
  return diff;
}

/** A queued job the target has since dead-lettered: the fields a dead letter keeps of it. */
function deadJobDiff(a: StoredJob, b: StoredDeadLetter): string[] {
  const diff: string[] = [];
  if (a.jobName !== b.jobName) diff.push("job name");
  if (canonicalJson(a.argsJson) !== canonicalJson(b.argsJson)) diff.push("args");
  if (a.maxAttempts !== b.maxAttempts) diff.push("max_attempts");
  if (!sameTime(a.createdAt, b.originalCreatedAt)) diff.push("created_at");
  return diff;
}

/** Everything but the replay count and time, which replays in the target change. */
function deadLetterDiff(a: StoredDeadLetter, b: StoredDeadLetter): string[] {
  const diff: string[] = [];
  if (a.jobName !== b.jobName) diff.push("job name");
  if (canonicalJson(a.argsJson) !== canonicalJson(b.argsJson)) diff.push("args");
  if (a.queue !== b.queue) diff.push("queue");
  if (a.priority !== b.priority) diff.push("priority");
  if (a.maxAttempts !== b.maxAttempts) diff.push("max_attempts");
  if (a.attempts !== b.attempts) diff.push("attempts");
  if (a.lastError !== b.lastError) diff.push("last error");
  if (a.reason !== b.reason) diff.push("reason");
  if (!sameTime(a.originalCreatedAt, b.originalCreatedAt)) diff.push("original_created_at");
  if (!sameTime(a.movedAt, b.movedAt)) diff.push("moved_to_dead_letter_at");
  if (canonicalJson(a.tagsJson) !== canonicalJson(b.tagsJson)) diff.push("tags");
  return diff;
}

/** The definition of a schedule; its status, next run and run history are the target's own. */
function scheduleDiff(a: StoredSchedule, b: StoredSchedule): string[] {
  const diff: string[] = [];
  if (a.scheduleType !== b.scheduleType || a.scheduleValue !== b.scheduleValue) {
    diff.push(`source ${a.scheduleType} ${a.scheduleValue}, target ${b.scheduleType} ${b.scheduleValue}`);
  }
  if (canonicalJson(a.argsJson) !== canonicalJson(b.argsJson)) diff.push("args differ");
  if (a.queue !== b.queue) diff.push(`queue ${a.queue} vs ${b.queue}`);
  if (a.priority !== b.priority) diff.push(`priority ${a.priority} vs ${b.priority}`);
  if (a.maxAttempts !== b.maxAttempts) diff.push(`max_attempts ${a.maxAttempts} vs ${b.maxAttempts}`);
  return diff;
}

// ---------------------------------------------------------------- PostgreSQL row bodies

const jsonOrNull = (text: string | null) => (text === null ? "null" : text);
const time = (d: Date | null) => (d === null ? null : d.toISOString());

/** Rows as one JSON array for json_to_recordset; the JSON columns are spliced in as they are (exact numbers). */
function body<T>(rows: readonly T[], plain: (row: T) => Record<string, unknown>, json: (row: T) => Record<string, string | null>): string {
  return `[${rows
    .map((row) => {
      const head = JSON.stringify(plain(row)).slice(0, -1);
      const tail = Object.entries(json(row)).map(([k, v]) => `${JSON.stringify(k)}:${jsonOrNull(v)}`);
      return tail.length ? `${head}${head.length > 1 ? "," : ""}${tail.join(",")}}` : `${head}}`;
    })
    .join(",")}]`;
}

export function storedJobsJson(jobs: readonly StoredJob[]): string {
  return body(
    jobs,
    (j) => ({
      id: j.id,
      job_name: j.jobName,
      args_hash: j.argsHash,
      attempts: j.attempts,
      max_attempts: j.maxAttempts,
      queue: j.queue,
      priority: j.priority,
      unique_job: j.uniqueJob,
      dedup_key: j.dedupKey,
      scheduled_at: time(j.scheduledAt),
      last_error: j.lastError,
      producer_id: j.producerId,
      created_at: time(j.createdAt),
      updated_at: time(j.updatedAt),
    }),
    (j) => ({ args: j.argsJson }),
  );
}

export function storedDeadLettersJson(rows: readonly StoredDeadLetter[]): string {
  return body(
    rows,
    (d) => ({
      id: d.id,
      job_name: d.jobName,
      queue: d.queue,
      priority: d.priority,
      max_attempts: d.maxAttempts,
      attempts: d.attempts,
      last_error: d.lastError,
      reason: d.reason,
      original_created_at: time(d.originalCreatedAt),
      moved_at: time(d.movedAt),
      resurrection_count: d.resurrectionCount,
      last_resurrection_at: time(d.lastResurrectionAt),
      created_at: time(d.createdAt),
    }),
    (d) => ({ args: d.argsJson, tags: d.tagsJson }),
  );
}

export function storedSchedulesJson(rows: readonly StoredSchedule[]): string {
  return body(
    rows,
    (s) => ({
      id: s.id,
      name: s.name,
      schedule_type: s.scheduleType,
      schedule_value: s.scheduleValue,
      priority: s.priority,
      queue: s.queue,
      max_attempts: s.maxAttempts,
      status: s.status,
      created_at: time(s.createdAt),
      updated_at: time(s.updatedAt),
      last_run: time(s.lastRun),
      next_run: time(s.nextRun),
      run_count: s.runCount,
      last_job_id: s.lastJobId,
    }),
    (s) => ({ args: s.argsJson }),
  );
}

/** Ledger pairs as a JSON array of [kind, key]. */
export function ledgerPairsJson(pairs: readonly { kind: StoreRowKind; key: string }[]): string {
  return JSON.stringify(pairs.map((p) => [p.kind, p.key]));
}

/** Every ledger pair a lookup asks about. */
export function lookupPairs(keys: StoreLookup): { kind: StoreRowKind; key: string }[] {
  return [
    ...keys.jobIds.map((key) => ({ kind: "job" as const, key })),
    ...keys.deadLetterIds.map((key) => ({ kind: "dead_letter" as const, key })),
    ...keys.scheduleNames.map((key) => ({ kind: "schedule" as const, key })),
  ];
}

/** Every ledger pair an import records: what it writes and what it found present. */
export function importPairs(batch: StoreImportBatch): { kind: StoreRowKind; key: string }[] {
  return [
    ...batch.jobs.map((j) => ({ kind: "job" as const, key: j.id })),
    ...batch.deadLetters.map((d) => ({ kind: "dead_letter" as const, key: d.id })),
    ...batch.schedules.map((s) => ({ kind: "schedule" as const, key: s.name })),
    ...batch.present,
  ];
}

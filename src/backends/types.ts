/**
 * The storage contract. Postgres, SQLite and memory implement it; the worker, the
 * scheduler, the CLI and the dashboard only ever talk to this interface.
 * Durations are seconds; ids are UUID strings; args and results are JSON values.
 */

export type JobStatus = "queued" | "processing" | "done" | "cancelled";
export const JOB_STATUSES: readonly JobStatus[] = ["queued", "processing", "done", "cancelled"];

export type DeadLetterReason =
  | "max_retries_exceeded"
  | "job_not_found"
  | "invalid_arguments"
  | "permanent_failure"
  | "timeout"
  | "manual_move";

/** A row to insert. `argsJson` is the already-serialised args object (serialised once, on the caller side). */
export interface NewJob {
  id: string;
  jobName: string;
  argsJson: string;
  argsHash: string | null;
  maxAttempts: number;
  queue: string;
  priority: number;
  uniqueJob: boolean;
  dedupKey: string | null;
  scheduledAt: Date | null;
  producerId: string | null;
}

/** What a worker needs to run a claimed job, and nothing more. */
export interface ClaimedJob {
  id: string;
  jobName: string;
  args: unknown;
  attempts: number;
  maxAttempts: number;
  queue: string;
  priority: number;
  scheduledAt: Date | null;
  createdAt: Date;
}

export interface JobRecord {
  id: string;
  jobName: string;
  args: unknown;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  queue: string;
  priority: number;
  uniqueJob: boolean;
  dedupKey: string | null;
  scheduledAt: Date | null;
  expiresAt: Date | null;
  lastError: string | null;
  result: unknown;
  producerId: string | null;
  workerId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ListJobsFilter {
  queue?: string;
  status?: JobStatus;
  jobName?: string;
  limit?: number;
  offset?: number;
}

export interface QueueStats {
  total: number;
  queued: number;
  processing: number;
  done: number;
  dead_letter: number;
  cancelled: number;
}

export interface QueueBreakdown {
  queue: string;
  queued: number;
  processing: number;
  done: number;
  cancelled: number;
  /** Age in seconds of the oldest due queued job, or null when none is queued. */
  oldestQueuedAgeSeconds: number | null;
}

/**
 * The end of one attempt. Every outcome is applied only if the row is still
 * `processing`, owned by `workerId` and at the same `attempts`: a job rescued,
 * deleted or re-claimed meanwhile is never overwritten.
 */
export type JobOutcome =
  | { kind: "done"; id: string; attempts: number; resultJson: string | null }
  /** Back to queued after `delaySeconds` (0: at once, in its original place). `refundAttempt`: a snooze, the attempt is not spent. */
  | { kind: "retry"; id: string; attempts: number; error: string; delaySeconds: number; refundAttempt?: boolean }
  | { kind: "dead"; id: string; attempts: number; error: string; reason: DeadLetterReason; recordAttempts: number };

/**
 * A heartbeat thread's backend part: `prelude` is JavaScript module source (imports allowed, only
 * Bun built-ins) that defines `async function open(config)` returning
 * `{ beat(workerId, metadataJson): Promise<unknown>, close(): Promise<unknown> }`; `config` reaches
 * `open` merged into the start message.
 */
export interface HeartbeatThreadSpec {
  prelude: string;
  config: Record<string, unknown>;
}

/** Outcomes whose write statement failed, and why. */
export interface OutcomeWriteFailure {
  outcomes: JobOutcome[];
  error: unknown;
}

export interface WorkerRegistration {
  id: string;
  hostname: string;
  pid: number;
  queues: string[];
  concurrency: number;
  version: string;
  metadata: Record<string, unknown>;
}

export interface WorkerRecord {
  id: string;
  hostname: string;
  pid: number;
  queues: string[];
  concurrency: number;
  status: "active" | "stopping" | "stopped";
  lastHeartbeat: Date;
  startedAt: Date;
  version: string | null;
  metadata: Record<string, unknown> | null;
}

export interface DeadLetterRecord {
  id: string;
  jobName: string;
  args: unknown;
  queue: string;
  priority: number;
  maxAttempts: number;
  attempts: number;
  lastError: string | null;
  reason: string;
  originalCreatedAt: Date;
  movedAt: Date;
  resurrectionCount: number;
  lastResurrectionAt: Date | null;
  tags: Record<string, unknown> | null;
}

export interface DeadLetterFilter {
  jobNames?: string[];
  queues?: string[];
  reasons?: string[];
  /** Only rows moved at or after this time. */
  since?: Date;
  /** Only rows moved before this time. */
  before?: Date;
  resurrected?: boolean;
  /**
   * Only rows whose tags hold every one of these key/value pairs. Values compare as text (as
   * Python's `tags ->> key = value`), so `{ attempt: 3 }` and `{ attempt: "3" }` match the same rows.
   */
  tags?: Record<string, DeadLetterTagValue>;
  limit?: number;
  offset?: number;
}

/** A dead-letter tag value (`app.deadLetter.addTags`). */
export type DeadLetterTagValue = string | number | boolean;

export interface ReplayOptions {
  resetAttempts?: boolean;
  maxAttempts?: number;
  priority?: number;
  queue?: string;
}

export interface DeadLetterStats {
  total: number;
  byJobName: Record<string, number>;
  byQueue: Record<string, number>;
  byReason: Record<string, number>;
  oldestAgeHours: number | null;
  resurrectedCount: number;
  /** Percent (0-100) of the counted rows replayed at least once (Python's `resurrection_success_rate`); 0 when none. */
  resurrectionSuccessRate: number;
  /** Rows moved in the last 7 days by UTC day (`'YYYY-MM-DD'` -> count), whatever the `hours` window. */
  byDate: Record<string, number>;
}

export interface DeadLetterStatsOptions {
  /** Count only rows moved within the last `hours` hours (every field except `byDate`). */
  hours?: number;
}

export interface BackendCapabilities {
  /** `enqueue(..., { connection })` inside a caller's transaction. */
  transactionalEnqueue: boolean;
  /** Wake-ups that cross processes (LISTEN/NOTIFY). */
  pushNotify: boolean;
  /** Leader election that works across processes. */
  advisoryLocks: boolean;
  /** Several processes may share the store. */
  multiProcess: boolean;
}

export type LeaderKey = "maintenance" | "scheduler" | "migrations";

export interface ScheduleRecord {
  id: string;
  name: string;
  scheduleType: "interval" | "cron";
  scheduleValue: string;
  priority: number;
  queue: string;
  maxAttempts: number;
  args: Record<string, unknown>;
  status: "active" | "paused";
  createdAt: Date;
  updatedAt: Date;
  lastRun: Date | null;
  nextRun: Date | null;
  runCount: number;
  lastJobId: string | null;
}

export interface ScheduleUpsert {
  name: string;
  scheduleType: "interval" | "cron";
  scheduleValue: string;
  priority: number;
  queue: string;
  maxAttempts: number;
  args: Record<string, unknown>;
  nextRun: Date;
}

export interface StorageBackend {
  readonly kind: "postgres" | "sqlite" | "memory";
  readonly capabilities: BackendCapabilities;

  /** Open connections (idempotent). Never creates tables; `setup()` does. */
  initialize(): Promise<void>;
  /** Create or upgrade the schema. Idempotent and safe when run concurrently. Returns migrations applied. */
  setup(): Promise<number>;
  /** Versions known to this build and whether each is applied. */
  migrationStatus(): Promise<{ version: string; name: string; applied: boolean }[]>;
  close(): Promise<void>;

  /**
   * Insert jobs in one round trip. Returns one id per input, in order: the new row's id,
   * or the existing queued row's id when `uniqueJob`/`dedupKey` matched.
   * `connection` is a backend-specific transaction handle (Postgres only).
   */
  insertJobs(jobs: NewJob[], connection?: unknown): Promise<string[]>;
  /** Wake workers of this queue (debounced by the backend). */
  notifyNewJob(queue: string): void;
  /** Subscribe to new-job wake-ups for this process. Returns an unsubscribe function. */
  listen(onJob: (queue: string) => void): Promise<() => Promise<void>>;

  /** Claim up to `limit` due queued jobs, best priority then oldest run time first. */
  claimJobs(workerId: string, queues: readonly string[] | null, limit: number): Promise<ClaimedJob[]>;
  /**
   * Apply outcomes in as few statements as possible (one per kind). A statement that fails is
   * reported, with the outcomes it carried, instead of undoing the others: what is not in the
   * returned list was written (or matched no row: an unmatched row is never an error). May also
   * throw, meaning nothing is known to be written.
   */
  applyOutcomes(workerId: string, outcomes: readonly JobOutcome[], resultTtl: number): Promise<OutcomeWriteFailure[]>;
  /**
   * True when `error` may pass on retry (connection lost, database restarting, lock busy); false
   * when the database refused the data itself, so the same write would fail again.
   */
  isTransientError(error: unknown): boolean;
  /** Put claimed-but-unfinished jobs back to queued, attempts kept. Returns rows changed. */
  nackJobs(workerId: string, ids: readonly string[]): Promise<number>;
  /**
   * Requeue this worker's processing jobs that are not in `keepIds`: claims that committed but whose
   * reply was lost (dropped connection, database restart). Returns rows changed.
   */
  requeueOrphans(workerId: string, keepIds: readonly string[]): Promise<number>;

  getJob(id: string): Promise<JobRecord | null>;
  listJobs(filter: ListJobsFilter): Promise<JobRecord[]>;
  cancelJob(id: string): Promise<boolean>;
  deleteJob(id: string): Promise<boolean>;
  getQueueStats(): Promise<QueueStats>;
  getQueueBreakdown(): Promise<QueueBreakdown[]>;

  /**
   * Register, or take over a predecessor with the same hostname and pid that is stopped or silent
   * for over `staleAfterSeconds` (its processing jobs are requeued first). Returns the id to use,
   * or null when a live worker holds that hostname and pid: the caller picks another hostname.
   */
  registerWorker(worker: WorkerRegistration, staleAfterSeconds: number): Promise<string | null>;
  heartbeat(workerId: string, metadata?: Record<string, unknown>): Promise<void>;
  /**
   * How to heartbeat from a thread of its own (src/worker/heartbeat.ts), or null when this backend
   * cannot (memory, in-memory SQLite): then heartbeats run on the event loop.
   */
  heartbeatThread(): HeartbeatThreadSpec | null;
  markWorkerStopped(workerId: string): Promise<void>;
  listWorkers(): Promise<WorkerRecord[]>;
  /**
   * Mark workers silent for longer than `timeoutSeconds` stopped and requeue their processing jobs.
   * Workers whose metadata says `heartbeat: "thread"` count as silent after `threadTimeoutSeconds`
   * instead (default: `timeoutSeconds`).
   */
  rescueStaleWorkers(timeoutSeconds: number, threadTimeoutSeconds?: number): Promise<{ workers: number; jobs: number }>;
  /** Delete done rows whose retention ended. */
  deleteExpiredJobs(): Promise<number>;
  /** Run `fn` only if this process wins the named lock; returns whether it ran. */
  withLeaderLock(key: LeaderKey, fn: () => Promise<void>): Promise<boolean>;

  listDeadLetters(filter: DeadLetterFilter): Promise<DeadLetterRecord[]>;
  countDeadLetters(filter: DeadLetterFilter): Promise<number>;
  getDeadLetter(id: string): Promise<DeadLetterRecord | null>;
  /** Mint a fresh queued job from a dead-letter row; bump its resurrection count. Null if missing. */
  replayDeadLetter(id: string, newJobId: string, options: ReplayOptions): Promise<string | null>;
  deleteDeadLetter(id: string): Promise<boolean>;
  /** Delete every row matching the filter (limit/offset ignored). Returns rows deleted. */
  purgeDeadLetters(filter: DeadLetterFilter): Promise<number>;
  deadLetterStats(options?: DeadLetterStatsOptions): Promise<DeadLetterStats>;
  /** Merge `tags` into the row's tags (written as a JSON object). False when the row is missing. */
  tagDeadLetter(id: string, tags: Record<string, DeadLetterTagValue>): Promise<boolean>;

  upsertSchedule(schedule: ScheduleUpsert): Promise<ScheduleRecord>;
  getSchedule(name: string): Promise<ScheduleRecord | null>;
  listSchedules(status?: "active" | "paused"): Promise<ScheduleRecord[]>;
  setScheduleStatus(name: string, status: "active" | "paused"): Promise<boolean>;
  removeSchedule(name: string): Promise<boolean>;
  /**
   * Fire a due schedule: compare-and-swap `next_run` from `expectedNextRun` to `nextRun`
   * and insert `job` in the same transaction. Returns false (and inserts nothing) when
   * another scheduler won, the schedule is paused or gone.
   */
  fireSchedule(name: string, expectedNextRun: Date, nextRun: Date, job: NewJob): Promise<boolean>;

  /** Remove all jobs and workers (tests). */
  reset(): Promise<void>;

  /**
   * Read-only job search (the dashboard): the `listJobs` filters plus `search`, with the total
   * number of matches for paging. Newest first.
   */
  searchJobs(filter: JobSearchFilter): Promise<JobSearchResult>;
  /**
   * Activity per time bucket since `options.since`: jobs created, done and dead-lettered.
   * Sparse (buckets with no activity are left out), oldest first. Only rows still stored count:
   * done rows removed by result retention no longer do.
   */
  jobTimeline(options: TimelineOptions): Promise<TimelineBucket[]>;

  // ---- copying a store to another one (`soniq migrate-store`, src/backends/store-copy.ts) ----
  /** Queued jobs, every column, in id order: the first `limit` with an id above `afterId` (null: from the start). */
  exportQueuedJobs(afterId: string | null, limit: number): Promise<StoredJob[]>;
  /** Dead-letter rows, every column, in id order (paged as `exportQueuedJobs`). */
  exportDeadLetters(afterId: string | null, limit: number): Promise<StoredDeadLetter[]>;
  /** Every schedule, every column, by name. */
  exportSchedules(): Promise<StoredSchedule[]>;
  /** The rows of this store a copy of those keys could collide with, and which keys an earlier copy recorded. */
  lookupStoreRows(keys: StoreLookup): Promise<StoreLookupResult>;
  /**
   * Write copied rows as they are (ids, attempts, times, dedup keys) in ONE transaction, and record
   * them and `present` in this store's copy ledger (`soniq_store_imports`, created on first use).
   * Throws, writing nothing, if any row collides with a stored one.
   */
  importStoreRows(batch: StoreImportBatch): Promise<void>;
}

export interface JobSearchFilter extends ListJobsFilter {
  /**
   * Case-insensitive substring of the job name, the last error or the args JSON text, or a
   * prefix of the id (ASCII case folding on SQLite; the args text is formatted per backend).
   */
  search?: string;
}

export interface JobSearchResult {
  jobs: JobRecord[];
  /** Every match, ignoring limit and offset. */
  total: number;
}

export interface TimelineOptions {
  since: Date;
  /** Bucket width in seconds (whole milliseconds on SQLite and memory). */
  bucketSeconds: number;
}

export interface TimelineBucket {
  /** `since + index * bucketSeconds`. */
  start: Date;
  /** Jobs created in the bucket (still stored, or dead-lettered). */
  enqueued: number;
  /** Jobs that finished `done` in the bucket (by `updated_at`). */
  completed: number;
  /** Jobs moved to the dead-letter queue in the bucket. */
  deadLettered: number;
}

/** A stored `soniq_jobs` row with every column a copy keeps; JSON stays text. */
export interface StoredJob {
  id: string;
  jobName: string;
  argsJson: string;
  argsHash: string | null;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  queue: string;
  priority: number;
  uniqueJob: boolean;
  dedupKey: string | null;
  scheduledAt: Date | null;
  lastError: string | null;
  producerId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A stored `soniq_dead_letter_jobs` row, every column; JSON stays text. */
export interface StoredDeadLetter {
  id: string;
  jobName: string;
  argsJson: string;
  queue: string;
  priority: number;
  maxAttempts: number;
  attempts: number;
  lastError: string | null;
  reason: string;
  originalCreatedAt: Date;
  movedAt: Date;
  resurrectionCount: number;
  lastResurrectionAt: Date | null;
  tagsJson: string | null;
  createdAt: Date;
}

/** A stored `soniq_recurring_jobs` row, every column; the args (`job_kwargs`) stay text. */
export interface StoredSchedule {
  id: string;
  name: string;
  scheduleType: "interval" | "cron";
  scheduleValue: string;
  priority: number;
  queue: string;
  maxAttempts: number;
  argsJson: string;
  status: "active" | "paused";
  createdAt: Date;
  updatedAt: Date;
  lastRun: Date | null;
  nextRun: Date | null;
  runCount: number;
  lastJobId: string | null;
}

/** What a copy ledger entry names: a job id, a dead-letter id or a schedule name. */
export type StoreRowKind = "job" | "dead_letter" | "schedule";

export interface StoreLookup {
  jobIds: string[];
  deadLetterIds: string[];
  scheduleNames: string[];
  /** (job_name, args_hash) of unique jobs: queued rows holding them are returned. */
  uniqueKeys: { jobName: string; argsHash: string }[];
  /** Dedup keys: queued rows holding them are returned. */
  dedupKeys: string[];
}

export interface StoreLookupResult {
  /** Jobs (any status) with one of `jobIds`, and queued jobs holding one of the unique or dedup keys. */
  jobs: StoredJob[];
  /** Dead-letter rows whose id is one of `jobIds` or `deadLetterIds`. */
  deadLetters: StoredDeadLetter[];
  /** Schedules named in `scheduleNames`. */
  schedules: StoredSchedule[];
  /** The keys of the lookup an earlier copy into this store recorded in its ledger. */
  imported: { kind: StoreRowKind; key: string }[];
}

export interface StoreImportBatch {
  jobs: StoredJob[];
  deadLetters: StoredDeadLetter[];
  schedules: StoredSchedule[];
  /** Keys already in this store with the same content: recorded in the ledger, nothing written. */
  present: { kind: StoreRowKind; key: string }[];
}

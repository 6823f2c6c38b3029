import { Database } from "bun:sqlite";
import { resolve } from "node:path";
import { ErrorCodes, SoniqError } from "../../errors.ts";
import { LocalNotifier } from "../memory/notifier.ts";
import { outcomesByKind } from "../shared.ts";
import { BY_DATE_DAYS, decodeTagsText, resurrectionRate, tagFilterParam } from "../dead-letter-tags.ts";
import type {
  BackendCapabilities,
  ClaimedJob,
  DeadLetterFilter,
  DeadLetterRecord,
  DeadLetterStats,
  DeadLetterStatsOptions,
  DeadLetterTagValue,
  JobOutcome,
  OutcomeWriteFailure,
  HeartbeatThreadSpec,
  JobRecord,
  LeaderKey,
  ListJobsFilter,
  NewJob,
  QueueBreakdown,
  QueueStats,
  ReplayOptions,
  ScheduleRecord,
  ScheduleUpsert,
  StorageBackend,
  WorkerRecord,
  WorkerRegistration,
} from "../types.ts";
import { Q, schema } from "./queries.ts";
import { DQ } from "./queries.ts";
import type { JobSearchFilter, JobSearchResult, TimelineBucket, TimelineOptions } from "../types.ts";
import type { StoredDeadLetter, StoredJob, StoredSchedule, StoreImportBatch, StoreLookup, StoreLookupResult } from "../types.ts";
import { importPairs, ledgerPairsJson, lookupPairs } from "../store-copy.ts";
import { SQ } from "./store-queries.ts";
// Per-row requeue statements and the retry selection (see requeue_job.sql).
import requeueJob from "../../../sql/sqlite/requeue_job.sql" with { type: "text" };
import requeueOrphans from "../../../sql/sqlite/requeue_orphans.sql" with { type: "text" };
import retrySelect from "../../../sql/sqlite/retry_select.sql" with { type: "text" };

type Row = Record<string, any>;
type Params = Record<string, string | number | null>;

export interface SqliteBackendOptions {
  /** File path, or ":memory:" for a private in-memory database. */
  path: string;
}

/** The whole SQLite schema is one version: it is created complete, never migrated step by step. */
const SCHEMA_VERSION = { version: "0001", name: "sqlite_schema" } as const;
/** How long SQLite itself waits for another connection's write lock before reporting SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000;
/** If SQLITE_BUSY escapes busy_timeout anyway (WAL recovery, lock upgrades), the transaction is retried. */
const BUSY_ATTEMPTS = 5;
const BUSY_BACKOFF_MS = 25;
/** A leader lease outlives a crashed holder by at most this long. */
const LEASE_MS = 30_000;

/**
 * Wake-ups are in-process only (SQLite has no NOTIFY): every SqliteBackend on the same file in
 * this process shares one notifier, so an enqueue through one instance wakes the workers of the
 * others. Workers in other processes find new jobs by polling.
 */
const notifiers = new Map<string, LocalNotifier>();

/**
 * A single SQLite file (or :memory:) as the job store. Several processes on one host may share the
 * file: every read-then-write is one BEGIN IMMEDIATE transaction, so writers queue on SQLite's lock
 * (busy_timeout) and a job is never claimed twice. Statements mirror sql/postgres/queries one for
 * one and live in sql/sqlite.
 */
export class SqliteBackend implements StorageBackend {
  readonly kind = "sqlite" as const;
  readonly capabilities: BackendCapabilities = {
    transactionalEnqueue: false,
    pushNotify: false,
    advisoryLocks: false,
    multiProcess: true,
  };
  readonly path: string;
  private readonly notifyKey: string;
  private database: Database | null = null;
  /** Runs a callback in a transaction; `.immediate` takes the write lock up front, a nested call is a savepoint. */
  private tx: TxRunner | null = null;
  private schemaReady = false;
  private initializing: Promise<void> | null = null;
  private closed = false;
  private readonly subscriptions = new Set<() => void>();

  constructor(options: SqliteBackendOptions) {
    this.path = options.path;
    const inMemory = options.path === ":memory:" || options.path === "";
    this.notifyKey = inMemory ? `:memory:${crypto.randomUUID()}` : resolve(options.path);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Open the file and, unlike Postgres, create missing tables: a zero-config SQLite file just works. */
  async initialize(): Promise<void> {
    if (this.schemaReady) return;
    this.initializing ??= this.retry(() => {
      this.createSchema();
    }).finally(() => {
      this.initializing = null;
    });
    return this.initializing;
  }

  /** Returns 1 when this call created the schema, 0 when it already existed. */
  async setup(): Promise<number> {
    return this.retry(() => this.createSchema());
  }

  async migrationStatus(): Promise<{ version: string; name: string; applied: boolean }[]> {
    const applied = await this.retry(() => {
      const db = this.open();
      if (!(one(db, Q.migrationTableExists)?.present > 0)) return false;
      return all(db, Q.migrationApplied).some((r) => r.version === SCHEMA_VERSION.version);
    });
    return [{ ...SCHEMA_VERSION, applied }];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    notifiers.get(this.notifyKey)?.flush();
    for (const unsubscribe of [...this.subscriptions]) unsubscribe();
    this.database?.close();
    this.database = null;
    this.tx = null;
  }

  private open(): Database {
    if (this.closed) throw new SoniqError(ErrorCodes.APP_CLOSED, "this SQLite backend is closed");
    if (this.database) return this.database;
    const db = new Database(this.path, { create: true, strict: true });
    try {
      // busy_timeout first: switching to WAL takes a lock another process may be holding.
      db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.run("PRAGMA journal_mode = WAL");
      db.run("PRAGMA synchronous = NORMAL");
    } catch (error) {
      db.close();
      throw error;
    }
    this.database = db;
    this.tx = makeTx(db);
    return db;
  }

  private createSchema(): number {
    const db = this.open();
    const created = this.tx!.immediate(() => {
      db.run(schema);
      const mark = { ...SCHEMA_VERSION, now: Date.now(), checksum: new Bun.CryptoHasher("sha256").update(schema).digest("hex") };
      return db.query(Q.migrationMark).run(mark).changes;
    });
    this.schemaReady = true;
    return created;
  }

  /** The open database with its schema, whatever the caller did (or forgot) before. */
  private async ready(): Promise<Database> {
    if (!this.schemaReady || !this.database) await this.initialize();
    return this.open();
  }

  /** Run `fn` as one BEGIN IMMEDIATE transaction, retried if SQLITE_BUSY still gets through. */
  private async write<T>(fn: (db: Database) => T): Promise<T> {
    const db = await this.ready();
    return this.retry(() => this.tx!.immediate(() => fn(db)));
  }

  private async read<T>(fn: (db: Database) => T): Promise<T> {
    const db = await this.ready();
    return this.retry(() => fn(db));
  }

  private async retry<T>(fn: () => T): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return fn();
      } catch (error) {
        if (!isBusy(error) || attempt >= BUSY_ATTEMPTS) throw error;
        await Bun.sleep(BUSY_BACKOFF_MS * attempt * (0.5 + Math.random()));
      }
    }
  }

  // ---------------------------------------------------------------- jobs

  async insertJobs(jobs: NewJob[], connection?: unknown): Promise<string[]> {
    if (connection !== undefined) {
      throw new SoniqError(ErrorCodes.UNSUPPORTED, "transactional enqueue (connection) needs the Postgres backend; sqlite has no shared transactions");
    }
    if (jobs.length === 0) return [];
    const single = jobs.length === 1 ? jobs[0]! : null;
    let ids: string[];
    if (single?.dedupKey != null) {
      ids = await this.write((db) => [one(db, Q.insertJobDedup, jobParams(single, Date.now()))!.id]);
    } else if (single?.uniqueJob) {
      ids = await this.write((db) => [one(db, Q.insertJobUnique, jobParams(single, Date.now()))!.id]);
    } else {
      if (jobs.some((j) => j.uniqueJob || j.dedupKey != null)) {
        throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, "unique and dedupKey jobs are enqueued one at a time");
      }
      await this.write((db) => {
        const now = Date.now();
        const insert = db.query(Q.insertJob);
        for (const job of jobs) insert.run(jobParams(job, now));
      });
      ids = jobs.map((j) => j.id);
    }
    for (const queue of new Set(jobs.map((j) => j.queue))) this.notifyNewJob(queue);
    return ids;
  }

  notifyNewJob(queue: string): void {
    notifiers.get(this.notifyKey)?.notify(queue);
  }

  async listen(onJob: (queue: string) => void): Promise<() => Promise<void>> {
    let notifier = notifiers.get(this.notifyKey);
    if (!notifier) {
      notifier = new LocalNotifier();
      notifiers.set(this.notifyKey, notifier);
    }
    const off = notifier.subscribe(onJob);
    const unsubscribe = () => {
      off();
      this.subscriptions.delete(unsubscribe);
      if (notifier.listenerCount === 0 && notifiers.get(this.notifyKey) === notifier) notifiers.delete(this.notifyKey);
    };
    this.subscriptions.add(unsubscribe);
    return async () => unsubscribe();
  }

  async claimJobs(workerId: string, queues: readonly string[] | null, limit: number): Promise<ClaimedJob[]> {
    // SQLite reads LIMIT -1 as "no limit"; Postgres claims nothing for LIMIT 0.
    if (limit <= 0) return [];
    const rows = await this.write((db) => {
      const params: Params = { worker_id: workerId, limit, now: Date.now() };
      if (queues === null) return all(db, Q.claimAll, params);
      const wanted = [...new Set(queues)];
      if (wanted.length === 1) return all(db, Q.claimQueue, { ...params, queue: wanted[0]! });
      return all(db, Q.claimQueues, { ...params, queues: JSON.stringify(wanted) });
    });
    const jobs = rows.map(toClaimed);
    // RETURNING does not keep the subquery's order.
    jobs.sort((a, b) => a.priority - b.priority || runTime(a) - runTime(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return jobs;
  }

  async applyOutcomes(workerId: string, outcomes: readonly JobOutcome[], resultTtl: number): Promise<OutcomeWriteFailure[]> {
    if (outcomes.length === 0) return [];
    const { done, retry, dead } = outcomesByKind(outcomes);
    return this.write((db) => {
      const now = Date.now();
      // Postgres runs one statement per kind, each all-or-nothing on its own: a savepoint per kind
      // keeps that (a kind that fails must not undo the others), and reports the kind that failed.
      const failures: OutcomeWriteFailure[] = [];
      const kind = (group: JobOutcome[], apply: () => void) => {
        try {
          this.tx!(apply);
        } catch (error) {
          failures.push({ outcomes: group, error });
        }
      };
      if (done.length) {
        kind(done, () => {
          const stmt = db.query(resultTtl > 0 ? Q.completeJob : Q.deleteCompletedJob);
          const expiresAt = now + Math.round(resultTtl * 1000);
          for (const o of done) {
            stmt.run({ id: o.id, worker_id: workerId, attempts: o.attempts, result: o.resultJson, expires_at: expiresAt, now });
          }
        });
      }
      if (retry.length) {
        kind(retry, () => {
          // The rows still owned at that attempt, then one requeue per row in id order (see requeue_job.sql).
          const byKey = new Map<string, (typeof retry)[number]>();
          for (const o of retry) if (!byKey.has(`${o.id}:${o.attempts}`)) byKey.set(`${o.id}:${o.attempts}`, o);
          const rows = all(db, retrySelect, { worker_id: workerId, outcomes: JSON.stringify(retry.map((o) => [o.id, o.attempts])) });
          requeueRows(db, rows, now, (row) => {
            const o = byKey.get(`${row.id}:${row.attempts}`)!;
            return { error: o.error, scheduled_at: o.delaySeconds > 0 ? now + Math.round(o.delaySeconds * 1000) : null, refund: o.refundAttempt === true };
          });
        });
      }
      if (dead.length) {
        kind(dead, () => {
          const take = db.query(Q.deadLetterTake);
          const put = db.query(Q.deadLetterPut);
          for (const o of dead) {
            const row = take.get({ id: o.id, worker_id: workerId, attempts: o.attempts }) as Row | null;
            if (!row) continue;
            put.run({
              id: row.id,
              job_name: row.job_name,
              args: row.args,
              queue: row.queue,
              priority: row.priority,
              max_attempts: row.max_attempts,
              attempts: o.recordAttempts,
              error: o.error,
              reason: o.reason,
              original_created_at: row.created_at,
              now,
            });
          }
        });
      }
      return failures;
    });
  }

  isTransientError(error: unknown): boolean {
    return isBusy(error);
  }

  async nackJobs(workerId: string, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.write((db) => requeueRows(db, all(db, Q.nackJobs, { worker_id: workerId, ids: JSON.stringify(ids) }), Date.now()));
  }

  async requeueOrphans(workerId: string, keepIds: readonly string[]): Promise<number> {
    return this.write((db) => requeueRows(db, all(db, requeueOrphans, { worker_id: workerId, ids: JSON.stringify(keepIds) }), Date.now()));
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const row = await this.read((db) => one(db, Q.getJob, { id }));
    return row ? toJobRecord(row) : null;
  }

  async listJobs(filter: ListJobsFilter): Promise<JobRecord[]> {
    const rows = await this.read((db) =>
      all(db, Q.listJobs, {
        queue: filter.queue ?? null,
        status: filter.status ?? null,
        job_name: filter.jobName ?? null,
        limit: filter.limit ?? 100,
        offset: filter.offset ?? 0,
      }),
    );
    return rows.map(toJobRecord);
  }

  async cancelJob(id: string): Promise<boolean> {
    return this.write((db) => db.query(Q.cancelJob).run({ id, now: Date.now() }).changes === 1);
  }

  async deleteJob(id: string): Promise<boolean> {
    return this.write((db) => db.query(Q.deleteJob).run({ id }).changes === 1);
  }

  async getQueueStats(): Promise<QueueStats> {
    const r = (await this.read((db) => one(db, Q.queueStats)))!;
    const stats = { queued: r.queued, processing: r.processing, done: r.done, dead_letter: r.dead_letter, cancelled: r.cancelled };
    return { total: stats.queued + stats.processing + stats.done + stats.dead_letter + stats.cancelled, ...stats };
  }

  async getQueueBreakdown(): Promise<QueueBreakdown[]> {
    const now = Date.now();
    const rows = await this.read((db) => all(db, Q.queueBreakdown, { now }));
    return rows.map((r) => ({
      queue: r.queue ?? "default",
      queued: r.queued,
      processing: r.processing,
      done: r.done,
      cancelled: r.cancelled,
      oldestQueuedAgeSeconds: r.oldest_run_at === null ? null : (now - r.oldest_run_at) / 1000,
    }));
  }

  // ---------------------------------------------------------------- workers

  async registerWorker(w: WorkerRegistration, staleAfterSeconds: number): Promise<string | null> {
    return this.write((db) => {
      const now = Date.now();
      const cutoff = now - staleAfterSeconds * 1000;
      // A live worker holds this (hostname, pid): never take it over (the caller picks another hostname).
      if (one(db, Q.registerWorkerLive, { hostname: w.hostname, pid: w.pid, cutoff })) return null;
      // The predecessor with this (hostname, pid) is stopped or silent: its processing jobs go back first.
      requeueRows(db, all(db, Q.registerWorkerRequeue, { hostname: w.hostname, pid: w.pid }), now);
      return one(db, Q.registerWorker, {
        id: w.id,
        hostname: w.hostname,
        pid: w.pid,
        queues: JSON.stringify(w.queues),
        concurrency: w.concurrency,
        version: w.version,
        metadata: JSON.stringify(w.metadata),
        now,
      })!.id as string;
    });
  }

  /** A file database can be opened by a heartbeat thread of its own; a private in-memory one cannot. */
  heartbeatThread(): HeartbeatThreadSpec | null {
    if (this.path === ":memory:" || this.path === "") return null;
    return {
      prelude: `import { Database } from "bun:sqlite";
async function open(config) {
  const db = new Database(config.path, { strict: true });
  db.exec("PRAGMA busy_timeout = 5000");
  const beat = db.query(config.query);
  return { beat: async (id, metadata) => beat.run({ id, metadata, now: Date.now() }), close: async () => db.close() };
}`,
      config: { path: this.path, query: Q.heartbeat },
    };
  }

  async heartbeat(workerId: string, metadata?: Record<string, unknown>): Promise<void> {
    await this.write((db) => db.query(Q.heartbeat).run({ id: workerId, metadata: metadata ? JSON.stringify(metadata) : null, now: Date.now() }));
  }

  async markWorkerStopped(workerId: string): Promise<void> {
    await this.write((db) => db.query(Q.workerStopped).run({ id: workerId, now: Date.now() }));
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    const rows = await this.read((db) => all(db, Q.listWorkers));
    return rows.map((r) => ({
      id: r.id,
      hostname: r.hostname,
      pid: r.pid,
      queues: parseJson(r.queues) ?? [],
      concurrency: r.concurrency,
      status: r.status,
      lastHeartbeat: new Date(r.last_heartbeat),
      startedAt: new Date(r.started_at),
      version: r.version,
      metadata: parseJson(r.metadata),
    }));
  }

  async rescueStaleWorkers(timeoutSeconds: number, threadTimeoutSeconds = timeoutSeconds): Promise<{ workers: number; jobs: number }> {
    return this.write((db) => {
      const now = Date.now();
      const cutoff = now - timeoutSeconds * 1000;
      const workers = db.query(Q.rescueStaleWorkers).run({ cutoff, thread_cutoff: now - threadTimeoutSeconds * 1000 }).changes;
      const jobs = requeueRows(db, all(db, Q.rescueStaleJobs, { cutoff }), now);
      return { workers, jobs };
    });
  }

  async deleteExpiredJobs(): Promise<number> {
    return this.write((db) => db.query(Q.deleteExpired).run({ now: Date.now() }).changes);
  }

  /**
   * No advisory locks in SQLite: a lease row stands in. It is taken only if free or expired and
   * released when `fn` settles, so one caller at a time runs `fn`, across processes sharing the file.
   * A holder that dies keeps the lease for at most LEASE_MS, and an `fn` outliving its lease may
   * overlap the next holder; the guarded work (rescue, expiry, schedule CAS) is idempotent, so
   * either only costs a delay or a duplicate pass, never a duplicate job.
   */
  async withLeaderLock(key: LeaderKey, fn: () => Promise<void>): Promise<boolean> {
    const owner = crypto.randomUUID();
    const won = await this.write((db) => {
      const now = Date.now();
      return one(db, Q.leaseAcquire, { name: key, owner, expires_at: now + LEASE_MS, now }) !== null;
    });
    if (!won) return false;
    try {
      await fn();
      return true;
    } finally {
      if (!this.closed) await this.write((db) => db.query(Q.leaseRelease).run({ name: key, owner })).catch(() => {});
    }
  }

  // ---------------------------------------------------------------- dead letters

  private dlqParams(f: DeadLetterFilter): Params {
    const list = (xs?: string[]) => (xs && xs.length ? JSON.stringify(xs) : null);
    return {
      job_names: list(f.jobNames),
      queues: list(f.queues),
      reasons: list(f.reasons),
      since: f.since ? f.since.getTime() : null,
      before: f.before ? f.before.getTime() : null,
      resurrected: f.resurrected === undefined || f.resurrected === null ? null : f.resurrected ? 1 : 0,
      tags: tagFilterParam(f.tags),
    };
  }

  async listDeadLetters(filter: DeadLetterFilter): Promise<DeadLetterRecord[]> {
    const rows = await this.read((db) => all(db, Q.deadLetterList, { ...this.dlqParams(filter), limit: filter.limit ?? 1000, offset: filter.offset ?? 0 }));
    return rows.map(toDeadLetter);
  }

  async countDeadLetters(filter: DeadLetterFilter): Promise<number> {
    return (await this.read((db) => one(db, Q.deadLetterCount, this.dlqParams(filter))))!.n;
  }

  async getDeadLetter(id: string): Promise<DeadLetterRecord | null> {
    const row = await this.read((db) => one(db, Q.deadLetterGet, { id }));
    return row ? toDeadLetter(row) : null;
  }

  async replayDeadLetter(id: string, newJobId: string, o: ReplayOptions): Promise<string | null> {
    const row = await this.write((db) => {
      const now = Date.now();
      const inserted = one(db, Q.deadLetterReplay, {
        id,
        new_id: newJobId,
        reset_attempts: (o.resetAttempts ?? true) ? 1 : 0,
        max_attempts: o.maxAttempts ?? null,
        priority: o.priority ?? null,
        queue: o.queue ?? null,
        now,
      });
      if (inserted) db.query(Q.deadLetterBump).run({ id, now });
      return inserted;
    });
    if (!row) return null;
    this.notifyNewJob(row.queue);
    return row.id;
  }

  async deleteDeadLetter(id: string): Promise<boolean> {
    return this.write((db) => db.query(Q.deadLetterDelete).run({ id }).changes === 1);
  }

  async purgeDeadLetters(filter: DeadLetterFilter): Promise<number> {
    return this.write((db) => db.query(Q.deadLetterPurge).run(this.dlqParams(filter)).changes);
  }

  async deadLetterStats(options: DeadLetterStatsOptions = {}): Promise<DeadLetterStats> {
    const now = Date.now();
    const since = options.hours === undefined ? null : now - Math.round(options.hours * 3_600_000);
    const weekAgo = now - BY_DATE_DAYS * 86_400_000;
    const r = (await this.read((db) => one(db, Q.deadLetterStats, { since, week_ago: weekAgo })))!;
    return {
      total: r.total,
      byJobName: parseJson(r.by_job_name) ?? {},
      byQueue: parseJson(r.by_queue) ?? {},
      byReason: parseJson(r.by_reason) ?? {},
      oldestAgeHours: r.oldest_moved_at === null ? null : (now - r.oldest_moved_at) / 3_600_000,
      resurrectedCount: r.resurrected,
      resurrectionSuccessRate: resurrectionRate(r.resurrected, r.total),
      byDate: parseJson(r.by_date) ?? {},
    };
  }

  async tagDeadLetter(id: string, tags: Record<string, DeadLetterTagValue>): Promise<boolean> {
    return this.write((db) => db.query(Q.deadLetterAddTags).run({ id, tags: JSON.stringify(tags) }).changes === 1);
  }

  // ---------------------------------------------------------------- schedules

  async upsertSchedule(s: ScheduleUpsert): Promise<ScheduleRecord> {
    const row = await this.write((db) =>
      one(db, Q.scheduleUpsert, {
        id: Bun.randomUUIDv7(),
        name: s.name,
        schedule_type: s.scheduleType,
        schedule_value: s.scheduleValue,
        priority: s.priority,
        queue: s.queue,
        max_attempts: s.maxAttempts,
        args: JSON.stringify(s.args),
        next_run: s.nextRun.getTime(),
        now: Date.now(),
      }),
    );
    return toSchedule(row!);
  }

  async getSchedule(name: string): Promise<ScheduleRecord | null> {
    const row = await this.read((db) => one(db, Q.scheduleGet, { name }));
    return row ? toSchedule(row) : null;
  }

  async listSchedules(status?: "active" | "paused"): Promise<ScheduleRecord[]> {
    return (await this.read((db) => all(db, Q.scheduleList, { status: status ?? null }))).map(toSchedule);
  }

  async setScheduleStatus(name: string, status: "active" | "paused"): Promise<boolean> {
    return this.write((db) => db.query(Q.scheduleSetStatus).run({ name, status, now: Date.now() }).changes > 0);
  }

  async removeSchedule(name: string): Promise<boolean> {
    return this.write((db) => db.query(Q.scheduleRemove).run({ name }).changes > 0);
  }

  async fireSchedule(name: string, expectedNextRun: Date, nextRun: Date, job: NewJob): Promise<boolean> {
    const fired = await this.write((db) => {
      const now = Date.now();
      const advanced = db.query(Q.scheduleAdvance).run({ name, expected: expectedNextRun.getTime(), next_run: nextRun.getTime(), job_id: job.id, now });
      if (advanced.changes !== 1) return false;
      db.query(Q.insertJob).run(jobParams(job, now));
      return true;
    });
    if (fired) this.notifyNewJob(job.queue);
    return fired;
  }

  async reset(): Promise<void> {
    await this.write((db) => db.run(Q.reset));
  }

  async searchJobs(filter: JobSearchFilter): Promise<JobSearchResult> {
    const params: Params = {
      queue: filter.queue ?? null,
      status: filter.status ?? null,
      job_name: filter.jobName ?? null,
      search: filter.search ? filter.search : null,
    };
    const { rows, total } = await this.read((db) =>
      this.tx!(() => ({
        rows: all(db, DQ.searchJobs, { ...params, limit: filter.limit ?? 100, offset: filter.offset ?? 0 }),
        total: (one(db, DQ.searchJobsCount, params)?.total as number | undefined) ?? 0,
      })),
    );
    return { total, jobs: rows.map(toJobRecord) };
  }

  async jobTimeline(options: TimelineOptions): Promise<TimelineBucket[]> {
    const since = options.since.getTime();
    const width = Math.max(1, Math.round(options.bucketSeconds * 1000));
    const rows = await this.read((db) => all(db, DQ.jobTimeline, { since, bucket_ms: width }));
    return rows.map((r) => ({
      start: new Date(since + r.bucket * width),
      enqueued: r.enqueued,
      completed: r.completed,
      deadLettered: r.dead_lettered,
    }));
  }

  // ---------------------------------------------------------------- copying stores (soniq migrate-store)

  async exportQueuedJobs(afterId: string | null, limit: number): Promise<StoredJob[]> {
    return (await this.read((db) => all(db, SQ.exportJobs, { after: afterId, limit }))).map(toStoredJob);
  }

  async exportDeadLetters(afterId: string | null, limit: number): Promise<StoredDeadLetter[]> {
    return (await this.read((db) => all(db, SQ.exportDeadLetters, { after: afterId, limit }))).map(toStoredDeadLetter);
  }

  async exportSchedules(): Promise<StoredSchedule[]> {
    return (await this.read((db) => all(db, SQ.exportSchedules))).map(toStoredSchedule);
  }

  async lookupStoreRows(keys: StoreLookup): Promise<StoreLookupResult> {
    const pairs = lookupPairs(keys);
    return this.read((db) =>
      this.tx!(() => ({
        jobs: all(db, SQ.lookupJobs, {
          ids: JSON.stringify(keys.jobIds),
          unique_keys: JSON.stringify(keys.uniqueKeys.map((k) => [k.jobName, k.argsHash])),
          dedup_keys: JSON.stringify(keys.dedupKeys),
        }).map(toStoredJob),
        deadLetters: all(db, SQ.lookupDeadLetters, { ids: JSON.stringify([...keys.jobIds, ...keys.deadLetterIds]) }).map(toStoredDeadLetter),
        schedules: all(db, SQ.lookupSchedules, { names: JSON.stringify(keys.scheduleNames) }).map(toStoredSchedule),
        imported:
          pairs.length > 0 && one(db, SQ.ledgerExists)?.present > 0
            ? all(db, SQ.lookupImported, { pairs: ledgerPairsJson(pairs) }).map((r) => ({ kind: r.kind, key: r.key }))
            : [],
      })),
    );
  }

  async importStoreRows(batch: StoreImportBatch): Promise<void> {
    await this.write((db) => {
      const now = Date.now();
      db.run(SQ.ledgerCreate);
      const job = db.query(SQ.importJob);
      for (const j of batch.jobs) {
        job.run({
          id: j.id,
          job_name: j.jobName,
          args: j.argsJson,
          args_hash: j.argsHash,
          attempts: j.attempts,
          max_attempts: j.maxAttempts,
          queue: j.queue,
          priority: j.priority,
          unique_job: j.uniqueJob ? 1 : 0,
          dedup_key: j.dedupKey,
          scheduled_at: ms(j.scheduledAt),
          last_error: j.lastError,
          producer_id: j.producerId,
          created_at: j.createdAt.getTime(),
          updated_at: j.updatedAt.getTime(),
        });
      }
      const schedule = db.query(SQ.importSchedule);
      for (const s of batch.schedules) {
        schedule.run({
          id: s.id,
          name: s.name,
          schedule_type: s.scheduleType,
          schedule_value: s.scheduleValue,
          priority: s.priority,
          queue: s.queue,
          max_attempts: s.maxAttempts,
          args: s.argsJson,
          status: s.status,
          created_at: s.createdAt.getTime(),
          last_run: ms(s.lastRun),
          next_run: ms(s.nextRun),
          run_count: s.runCount,
          last_job_id: s.lastJobId,
          updated_at: s.updatedAt.getTime(),
        });
      }
      const dead = db.query(SQ.importDeadLetter);
      for (const d of batch.deadLetters) {
        dead.run({
          id: d.id,
          job_name: d.jobName,
          args: d.argsJson,
          queue: d.queue,
          priority: d.priority,
          max_attempts: d.maxAttempts,
          attempts: d.attempts,
          last_error: d.lastError,
          reason: d.reason,
          original_created_at: d.originalCreatedAt.getTime(),
          moved_at: d.movedAt.getTime(),
          resurrection_count: d.resurrectionCount,
          last_resurrection_at: ms(d.lastResurrectionAt),
          tags: d.tagsJson,
          created_at: d.createdAt.getTime(),
        });
      }
      const mark = db.query(SQ.importMark);
      for (const p of importPairs(batch)) mark.run({ kind: p.kind, key: p.key, now });
    });
    for (const queue of new Set(batch.jobs.map((j) => j.queue))) this.notifyNewJob(queue);
  }
}

interface TxRunner {
  /** Inside a transaction this is a savepoint; outside, BEGIN DEFERRED. */
  <T>(fn: () => T): T;
  immediate<T>(fn: () => T): T;
}

function makeTx(db: Database): TxRunner {
  const tx = db.transaction((fn: () => unknown) => fn());
  return Object.assign(<T>(fn: () => T): T => tx(fn) as T, { immediate: <T>(fn: () => T): T => tx.immediate(fn) as T });
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))) return true;
  return error instanceof Error && /database is locked|database table is locked/i.test(error.message);
}

function one(db: Database, sql: string, params: Params = {}): Row | null {
  return db.query(sql).get(params) as Row | null;
}

function all(db: Database, sql: string, params: Params = {}): Row[] {
  return db.query(sql).all(params) as Row[];
}

/**
 * Requeue rows selected by nack_jobs.sql, rescue_stale_jobs.sql or register_worker_requeue.sql: one
 * single-row statement each, in the selection's id order, inside the caller's transaction, so each
 * row's dedup check sees the rows requeued before it. `retry` gives a retried row its error and
 * scheduled time. Returns how many rows went back.
 */
function requeueRows(
  db: Database,
  rows: readonly Row[],
  now: number,
  retry?: (row: Row) => { error: string; scheduled_at: number | null; refund: boolean },
): number {
  const stmt = db.query(requeueJob);
  let changes = 0;
  for (const r of rows) {
    const retried = retry?.(r);
    changes += stmt.run({
      id: r.id,
      owner: r.worker_id,
      attempts: r.attempts,
      first_unique: r.first_unique,
      first_dedup: r.first_dedup,
      now,
      retry: retried ? 1 : 0,
      refund: retried?.refund ? 1 : 0,
      error: retried?.error ?? null,
      scheduled_at: retried?.scheduled_at ?? null,
    }).changes;
  }
  return changes;
}

function jobParams(j: NewJob, now: number): Params {
  return {
    id: j.id,
    job_name: j.jobName,
    args: j.argsJson,
    args_hash: j.argsHash,
    max_attempts: j.maxAttempts,
    queue: j.queue,
    priority: j.priority,
    unique_job: j.uniqueJob ? 1 : 0,
    dedup_key: j.dedupKey,
    scheduled_at: j.scheduledAt ? j.scheduledAt.getTime() : null,
    producer_id: j.producerId,
    now,
  };
}

function parseJson(text: string | null | undefined): any {
  return text === null || text === undefined ? null : JSON.parse(text);
}

function toDate(ms: number | null | undefined): Date | null {
  return ms === null || ms === undefined ? null : new Date(ms);
}

function runTime(j: ClaimedJob): number {
  return (j.scheduledAt ?? j.createdAt).getTime();
}

function toClaimed(r: Row): ClaimedJob {
  return {
    id: r.id,
    jobName: r.job_name,
    args: JSON.parse(r.args),
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    queue: r.queue,
    priority: r.priority,
    scheduledAt: toDate(r.scheduled_at),
    createdAt: new Date(r.created_at),
  };
}

function toJobRecord(r: Row): JobRecord {
  return {
    id: r.id,
    jobName: r.job_name,
    args: JSON.parse(r.args),
    status: r.status,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    queue: r.queue,
    priority: r.priority,
    uniqueJob: r.unique_job === 1,
    dedupKey: r.dedup_key,
    scheduledAt: toDate(r.scheduled_at),
    expiresAt: toDate(r.expires_at),
    lastError: r.last_error,
    result: parseJson(r.result),
    producerId: r.producer_id,
    workerId: r.worker_id,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

function toDeadLetter(r: Row): DeadLetterRecord {
  return {
    id: r.id,
    jobName: r.job_name,
    args: JSON.parse(r.args),
    queue: r.queue,
    priority: r.priority,
    maxAttempts: r.max_attempts,
    attempts: r.attempts,
    lastError: r.last_error,
    reason: r.dead_letter_reason,
    originalCreatedAt: new Date(r.original_created_at),
    movedAt: new Date(r.moved_to_dead_letter_at),
    resurrectionCount: r.resurrection_count ?? 0,
    lastResurrectionAt: toDate(r.last_resurrection_at),
    tags: decodeTagsText(r.tags),
  };
}

function toSchedule(r: Row): ScheduleRecord {
  return {
    id: r.id,
    name: r.job_name,
    scheduleType: r.schedule_type,
    scheduleValue: r.schedule_value,
    priority: r.priority,
    queue: r.queue,
    maxAttempts: r.max_attempts,
    args: parseJson(r.job_kwargs) ?? {},
    status: r.status,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    lastRun: toDate(r.last_run),
    nextRun: toDate(r.next_run),
    runCount: r.run_count,
    lastJobId: r.last_job_id,
  };
}

function ms(date: Date | null): number | null {
  return date === null ? null : date.getTime();
}

function toStoredJob(r: Row): StoredJob {
  return {
    id: r.id,
    jobName: r.job_name,
    argsJson: r.args_json,
    argsHash: r.args_hash,
    status: r.status,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    queue: r.queue,
    priority: r.priority,
    uniqueJob: r.unique_job === 1,
    dedupKey: r.dedup_key,
    scheduledAt: toDate(r.scheduled_at),
    lastError: r.last_error,
    producerId: r.producer_id,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

function toStoredDeadLetter(r: Row): StoredDeadLetter {
  return {
    id: r.id,
    jobName: r.job_name,
    argsJson: r.args_json,
    queue: r.queue,
    priority: r.priority,
    maxAttempts: r.max_attempts,
    attempts: r.attempts,
    lastError: r.last_error,
    reason: r.dead_letter_reason,
    originalCreatedAt: new Date(r.original_created_at),
    movedAt: new Date(r.moved_to_dead_letter_at),
    resurrectionCount: r.resurrection_count ?? 0,
    lastResurrectionAt: toDate(r.last_resurrection_at),
    tagsJson: r.tags_json,
    createdAt: new Date(r.created_at),
  };
}

function toStoredSchedule(r: Row): StoredSchedule {
  return {
    id: r.id,
    name: r.job_name,
    scheduleType: r.schedule_type,
    scheduleValue: r.schedule_value,
    priority: r.priority,
    queue: r.queue,
    maxAttempts: r.max_attempts,
    argsJson: r.args_json ?? "{}",
    status: r.status,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    lastRun: toDate(r.last_run),
    nextRun: toDate(r.next_run),
    runCount: r.run_count,
    lastJobId: r.last_job_id,
  };
}

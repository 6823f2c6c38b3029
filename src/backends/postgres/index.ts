import postgres from "postgres";
import { ErrorCodes, SoniqError } from "../../errors.ts";
import { redactUrl as redactCredentials } from "../../core/redact.ts";
import { adviseLockKey, newJobsJson, outcomesByKind } from "../shared.ts";
import { decodeTags, resurrectionRate, tagFilterParam } from "../dead-letter-tags.ts";
import type {
  BackendCapabilities,
  ClaimedJob,
  DeadLetterFilter,
  DeadLetterRecord,
  DeadLetterStats,
  DeadLetterStatsOptions,
  DeadLetterTagValue,
  JobOutcome,
  JobRecord,
  OutcomeWriteFailure,
  HeartbeatThreadSpec,
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
import { adaptConnection } from "./connection.ts";
import { InsertCoalescer } from "./insert-coalescer.ts";
import { MIGRATIONS, Q } from "./queries.ts";
import { DQ } from "./queries.ts";
import type { JobSearchFilter, JobSearchResult, TimelineBucket, TimelineOptions } from "../types.ts";
import type { StoredDeadLetter, StoredJob, StoredSchedule, StoreImportBatch, StoreLookup, StoreLookupResult } from "../types.ts";
import { importPairs, ledgerPairsJson, lookupPairs, storedDeadLettersJson, storedJobsJson, storedSchedulesJson } from "../store-copy.ts";
import { SQ } from "./store-queries.ts";

type Row = Record<string, any>;
/** Anything with postgres.js's `unsafe(text, params)`: the pool, a reserved connection or a transaction. */
export type PgQueryable = { unsafe: (query: string, params?: any[], options?: { prepare?: boolean }) => Promise<any> };

export interface PostgresBackendOptions {
  url: string;
  maxConnections: number;
  minConnections: number;
  preparedStatements: boolean;
  listen: boolean;
  /** Seconds to wait for a new connection before failing (postgres.js `connect_timeout`; default 10). */
  connectTimeout?: number;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export function parsePostgresUrl(url: string): URL {
  try {
    const parsed = new URL(url);
    if (!isPostgresUrl(url) || !parsed.hostname && !parsed.searchParams.get("host")) throw new Error("no host");
    return parsed;
  } catch (cause) {
    throw new SoniqError(ErrorCodes.INVALID_DATABASE_URL, `not a valid PostgreSQL URL: ${redactUrl(url)}`, { url: redactUrl(url) }, { cause });
  }
}

/** Hide the credentials in a URL: the one helper in src/core/redact.ts. */
export function redactUrl(url: string): string {
  return redactCredentials(url);
}

export class PostgresBackend implements StorageBackend {
  readonly kind = "postgres" as const;
  readonly capabilities: BackendCapabilities = {
    transactionalEnqueue: true,
    pushNotify: true,
    advisoryLocks: true,
    multiProcess: true,
  };
  /** The postgres.js client Soniq uses; pass `sql.begin(tx => ...)` transactions to `enqueue({ connection })`. */
  readonly sql: postgres.Sql;
  private readonly options: PostgresBackendOptions;
  private pendingNotify = new Set<string>();
  private readonly coalescer = new InsertCoalescer((jobs) => this.insertPlain(jobs), isTransientPgError);
  private notifyScheduled = false;
  private closed = false;

  constructor(options: PostgresBackendOptions) {
    parsePostgresUrl(options.url);
    this.options = options;
    this.sql = postgres(options.url, {
      max: options.maxConnections,
      prepare: options.preparedStatements,
      connect_timeout: options.connectTimeout ?? 10,
      // postgres.js waits up to 20 s between reconnects after failures, and queries wait with it:
      // at most 1 s here, so an outage fails calls within about a second and its end is seen as fast.
      backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
      onnotice: () => {},
      connection: { application_name: "soniq", TimeZone: "UTC" },
      transform: { undefined: null },
    });
  }

  private q(text: string, params: unknown[] = [], on: PgQueryable = this.sql): Promise<Row[]> {
    return on.unsafe(text, params as any[]);
  }

  async initialize(): Promise<void> {
    // Open the minimum pool eagerly so the first jobs do not pay for connection set-up.
    const warm = Math.min(this.options.minConnections, this.options.maxConnections);
    await Promise.all(Array.from({ length: Math.max(1, warm) }, () => this.sql.unsafe("SELECT 1")));
  }

  async setup(): Promise<number> {
    await this.ensureDatabaseExists();
    const conn = await this.sql.reserve();
    try {
      await conn.unsafe("SELECT pg_advisory_lock($1::bigint)", [adviseLockKey("migrations")]);
      try {
        await conn.unsafe(`CREATE TABLE IF NOT EXISTS soniq_migrations (
          id SERIAL PRIMARY KEY, version VARCHAR(255) UNIQUE NOT NULL, name TEXT NOT NULL,
          applied_at TIMESTAMP DEFAULT NOW(), checksum TEXT)`);
        const applied = new Set((await conn.unsafe("SELECT version FROM soniq_migrations")).map((r: Row) => r.version));
        let count = 0;
        for (const m of MIGRATIONS) {
          if (applied.has(m.version)) continue;
          try {
            await conn.unsafe("BEGIN");
            await conn.unsafe(m.sql);
            await conn.unsafe("INSERT INTO soniq_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
              m.version,
              m.name,
              new Bun.CryptoHasher("sha256").update(m.sql).digest("hex"),
            ]);
            await conn.unsafe("COMMIT");
            count++;
          } catch (cause) {
            await conn.unsafe("ROLLBACK").catch(() => {});
            throw new SoniqError(ErrorCodes.MIGRATION_FAILED, `migration ${m.version}_${m.name} failed: ${(cause as Error).message}`, { version: m.version }, { cause });
          }
        }
        return count;
      } finally {
        await conn.unsafe("SELECT pg_advisory_unlock($1::bigint)", [adviseLockKey("migrations")]).catch(() => {});
      }
    } finally {
      conn.release();
    }
  }

  /** `setup()` creates a missing database, as Python's `app.setup()` does. */
  private async ensureDatabaseExists(): Promise<void> {
    const url = parsePostgresUrl(this.options.url);
    const name = decodeURIComponent(url.pathname.replace(/^\//, ""));
    if (!name) return;
    try {
      await this.sql.unsafe("SELECT 1");
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== "3D000") throw error; // only "database does not exist"
    }
    if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(name)) {
      throw new SoniqError(ErrorCodes.INVALID_DATABASE_URL, `refusing to CREATE DATABASE for non-identifier name "${name}"`);
    }
    url.pathname = "/postgres";
    const admin = postgres(url.toString(), { max: 1, onnotice: () => {} });
    try {
      const exists = await admin.unsafe("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
      if (exists.length === 0) await admin.unsafe(`CREATE DATABASE "${name}"`).catch((e: { code?: string }) => {
        if (e.code !== "42P04") throw e; // created concurrently
      });
    } finally {
      await admin.end();
    }
  }

  async migrationStatus(): Promise<{ version: string; name: string; applied: boolean }[]> {
    const rows = await this.q("SELECT to_regclass('soniq_migrations') IS NOT NULL AS present");
    const applied = rows[0]?.present ? new Set((await this.q("SELECT version FROM soniq_migrations")).map((r) => r.version)) : new Set();
    return MIGRATIONS.map((m) => ({ version: m.version, name: m.name, applied: applied.has(m.version) }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.coalescer.drain();
    await this.flushNotify();
    await this.sql.end({ timeout: 5 });
  }

  async insertJobs(jobs: NewJob[], connection?: unknown): Promise<string[]> {
    if (jobs.length === 0) return [];
    const on = connection === undefined ? this.sql : asQueryable(connection);
    // Every insert statement carries its own NOTIFY (one per distinct queue), delivered at commit.
    if (jobs.length === 1) {
      const job = jobs[0]!;
      if (job.dedupKey != null) return (await this.q(Q.insertJobDedup, [newJobsJson(jobs)], on)).map((r) => r.id);
      if (job.uniqueJob) return (await this.q(Q.insertJobUnique, [newJobsJson(jobs)], on)).map((r) => r.id);
      if (connection === undefined) {
        await this.coalescer.add(job);
        return [job.id];
      }
    }
    if (jobs.some((j) => j.uniqueJob || j.dedupKey != null)) {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, "unique and dedupKey jobs are enqueued one at a time");
    }
    await this.insertPlain(jobs, on);
    return jobs.map((j) => j.id);
  }

  /** One statement for the batch; the compact form when rows differ only in id and args. */
  private async insertPlain(jobs: readonly NewJob[], on: PgQueryable = this.sql): Promise<void> {
    const first = jobs[0]!;
    const runAt = first.scheduledAt?.getTime() ?? null;
    const same =
      jobs.length > 1 &&
      jobs.every(
        (j) =>
          j.jobName === first.jobName &&
          j.queue === first.queue &&
          j.priority === first.priority &&
          j.maxAttempts === first.maxAttempts &&
          j.producerId === first.producerId &&
          (j.scheduledAt?.getTime() ?? null) === runAt,
      );
    if (same) {
      const body = `[${jobs.map((j) => `{"id":"${j.id}","args":${j.argsJson}}`).join(",")}]`;
      await this.q(Q.insertJobsSame, [body, first.jobName, first.maxAttempts, first.queue, first.priority, first.scheduledAt, first.producerId], on);
    } else {
      await this.q(Q.insertJobs, [newJobsJson(jobs)], on);
    }
  }

  notifyNewJob(queue: string): void {
    this.pendingNotify.add(queue);
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    // One NOTIFY per queue per burst of enqueues: NOTIFY serialises commits, so never one per row.
    setImmediate(() => void this.flushNotify());
  }

  private async flushNotify(): Promise<void> {
    this.notifyScheduled = false;
    if (this.pendingNotify.size === 0) return;
    const queues = [...this.pendingNotify];
    this.pendingNotify.clear();
    try {
      await this.q(Q.notify, [JSON.stringify(queues)]);
    } catch {
      // A lost wake-up only costs latency: workers also poll.
    }
  }

  async listen(onJob: (queue: string) => void): Promise<() => Promise<void>> {
    if (!this.options.listen) return async () => {};
    const sub = await this.sql.listen("soniq_new_job", (payload) => onJob(payload));
    return () => sub.unlisten();
  }

  async claimJobs(workerId: string, queues: readonly string[] | null, limit: number): Promise<ClaimedJob[]> {
    const rows = queues === null
      ? await this.q(Q.claimAll, [workerId, limit])
      : await this.q(Q.claimQueues, [workerId, limit, JSON.stringify(queues)]);
    const jobs = rows.map(toClaimed);
    // RETURNING does not keep the CTE's order.
    jobs.sort((a, b) => a.priority - b.priority || runTime(a) - runTime(b) || (a.id < b.id ? -1 : 1));
    return jobs;
  }

  async applyOutcomes(workerId: string, outcomes: readonly JobOutcome[], resultTtl: number): Promise<OutcomeWriteFailure[]> {
    const { done, retry, dead } = outcomesByKind(outcomes);
    // One statement per kind, in parallel; each commits or fails on its own.
    const work: [JobOutcome[], Promise<unknown>][] = [];
    if (done.length) {
      const body = `[${done.map((o) => `{"id":"${o.id}","attempts":${o.attempts},"result":${o.resultJson ?? "null"}}`).join(",")}]`;
      work.push([done, resultTtl > 0 ? this.q(Q.completeJobs, [workerId, body, resultTtl]) : this.q(Q.deleteCompletedJobs, [workerId, body])]);
    }
    if (retry.length) {
      const body = JSON.stringify(retry.map((o) => ({ id: o.id, attempts: o.attempts, error: o.error, delay: o.delaySeconds, refund: o.refundAttempt === true })));
      work.push([retry, this.q(Q.retryJobs, [workerId, body])]);
    }
    if (dead.length) {
      const body = JSON.stringify(dead.map((o) => ({ id: o.id, attempts: o.attempts, error: o.error, reason: o.reason, record_attempts: o.recordAttempts })));
      work.push([dead, this.q(Q.deadLetterJobs, [workerId, body])]);
    }
    const results = await Promise.allSettled(work.map(([, write]) => write));
    const failures: OutcomeWriteFailure[] = [];
    results.forEach((r, i) => {
      if (r.status === "rejected") failures.push({ outcomes: work[i]![0], error: r.reason });
    });
    return failures;
  }

  isTransientError(error: unknown): boolean {
    return isTransientPgError(error);
  }

  async nackJobs(workerId: string, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.q(Q.nackJobs, [workerId, JSON.stringify(ids)]))[0]!.n;
  }

  async requeueOrphans(workerId: string, keepIds: readonly string[]): Promise<number> {
    return (await this.q(Q.requeueOrphans, [workerId, JSON.stringify(keepIds)]))[0]!.n;
  }

  async getJob(id: string): Promise<JobRecord | null> {
    if (!isUuid(id)) return null;
    const rows = await this.q(Q.getJob, [id]);
    return rows[0] ? toJobRecord(rows[0]) : null;
  }

  async listJobs(filter: ListJobsFilter): Promise<JobRecord[]> {
    const rows = await this.q(Q.listJobs, [
      filter.queue ?? null,
      filter.status ?? null,
      filter.jobName ?? null,
      filter.limit ?? 100,
      filter.offset ?? 0,
    ]);
    return rows.map(toJobRecord);
  }

  async cancelJob(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return (await this.sql.unsafe(Q.cancelJob, [id])).count === 1;
  }

  async deleteJob(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return (await this.sql.unsafe(Q.deleteJob, [id])).count === 1;
  }

  async getQueueStats(): Promise<QueueStats> {
    const r = (await this.q(Q.queueStats))[0]!;
    const stats = { queued: r.queued, processing: r.processing, done: r.done, dead_letter: r.dead_letter, cancelled: r.cancelled };
    return { total: stats.queued + stats.processing + stats.done + stats.dead_letter + stats.cancelled, ...stats };
  }

  async getQueueBreakdown(): Promise<QueueBreakdown[]> {
    return (await this.q(Q.queueBreakdown)).map((r) => ({
      queue: r.queue ?? "default",
      queued: r.queued,
      processing: r.processing,
      done: r.done,
      cancelled: r.cancelled,
      oldestQueuedAgeSeconds: r.oldest_age ?? null,
    }));
  }

  async registerWorker(w: WorkerRegistration, staleAfterSeconds: number): Promise<string | null> {
    const rows = await this.q(Q.registerWorker, [
      w.id,
      w.hostname,
      w.pid,
      JSON.stringify(w.queues),
      w.concurrency,
      w.version,
      JSON.stringify(w.metadata),
      staleAfterSeconds,
    ]);
    return rows[0]?.id ?? null;
  }

  /** Bun's built-in SQL client on one connection of its own, outside the pool the event loop uses. */
  heartbeatThread(): HeartbeatThreadSpec {
    return {
      prelude: `async function open(config) {
  const sql = new Bun.SQL(config.url, { max: 1, prepare: config.prepare, idleTimeout: 0, connectionTimeout: 10, connection: { application_name: "soniq-heartbeat" } });
  return { beat: (id, metadata) => sql.unsafe(config.query, [id, metadata]), close: () => sql.close({ timeout: 1 }) };
}`,
      config: { url: this.options.url, prepare: this.options.preparedStatements, query: Q.heartbeat },
    };
  }

  async heartbeat(workerId: string, metadata?: Record<string, unknown>): Promise<void> {
    await this.q(Q.heartbeat, [workerId, metadata ? JSON.stringify(metadata) : null]);
  }

  async markWorkerStopped(workerId: string): Promise<void> {
    await this.q(Q.workerStopped, [workerId]);
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    return (await this.q(Q.listWorkers)).map((r) => ({
      id: r.id,
      hostname: r.hostname,
      pid: r.pid,
      queues: r.queues ?? [],
      concurrency: r.concurrency,
      status: r.status,
      lastHeartbeat: r.last_heartbeat,
      startedAt: r.started_at,
      version: r.version,
      metadata: r.metadata,
    }));
  }

  async rescueStaleWorkers(timeoutSeconds: number, threadTimeoutSeconds = timeoutSeconds): Promise<{ workers: number; jobs: number }> {
    const r = (await this.q(Q.rescueStale, [timeoutSeconds, threadTimeoutSeconds]))[0]!;
    return { workers: r.workers, jobs: r.jobs };
  }

  async deleteExpiredJobs(): Promise<number> {
    return (await this.sql.unsafe(Q.deleteExpired)).count;
  }

  async withLeaderLock(key: LeaderKey, fn: () => Promise<void>): Promise<boolean> {
    // A transaction-scoped lock: released by commit, rollback or a dropped connection, never leaked.
    return await this.sql.begin(async (tx) => {
      const [row] = await tx.unsafe(Q.tryLock, [adviseLockKey(key)]);
      if (!row?.locked) return false;
      await fn();
      return true;
    });
  }

  private dlqParams(f: DeadLetterFilter): unknown[] {
    const list = (xs?: string[]) => (xs && xs.length ? JSON.stringify(xs) : null);
    return [list(f.jobNames), list(f.queues), list(f.reasons), f.since ?? null, f.before ?? null, f.resurrected ?? null, tagFilterParam(f.tags)];
  }

  async listDeadLetters(filter: DeadLetterFilter): Promise<DeadLetterRecord[]> {
    const rows = await this.q(Q.deadLetterList, [...this.dlqParams(filter), filter.limit ?? 1000, filter.offset ?? 0]);
    return rows.map(toDeadLetter);
  }

  async countDeadLetters(filter: DeadLetterFilter): Promise<number> {
    return (await this.q(Q.deadLetterCount, this.dlqParams(filter)))[0]!.n;
  }

  async getDeadLetter(id: string): Promise<DeadLetterRecord | null> {
    if (!isUuid(id)) return null;
    const rows = await this.q(Q.deadLetterGet, [id]);
    return rows[0] ? toDeadLetter(rows[0]) : null;
  }

  async replayDeadLetter(id: string, newJobId: string, o: ReplayOptions): Promise<string | null> {
    if (!isUuid(id)) return null;
    const rows = await this.q(Q.deadLetterReplay, [id, newJobId, o.resetAttempts ?? true, o.maxAttempts ?? null, o.priority ?? null, o.queue ?? null]);
    if (!rows[0]) return null;
    this.notifyNewJob(rows[0].queue);
    return rows[0].id;
  }

  async deleteDeadLetter(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return (await this.sql.unsafe(Q.deadLetterDelete, [id])).count === 1;
  }

  async purgeDeadLetters(filter: DeadLetterFilter): Promise<number> {
    return (await this.sql.unsafe(Q.deadLetterPurge, this.dlqParams(filter) as any[])).count;
  }

  async deadLetterStats(options: DeadLetterStatsOptions = {}): Promise<DeadLetterStats> {
    const r = (await this.q(Q.deadLetterStats, [options.hours ?? null]))[0]!;
    return {
      total: r.total,
      byJobName: r.by_job_name ?? {},
      byQueue: r.by_queue ?? {},
      byReason: r.by_reason ?? {},
      oldestAgeHours: r.oldest_hours ?? null,
      resurrectedCount: r.resurrected,
      resurrectionSuccessRate: resurrectionRate(r.resurrected, r.total),
      byDate: r.by_date ?? {},
    };
  }

  async tagDeadLetter(id: string, tags: Record<string, DeadLetterTagValue>): Promise<boolean> {
    if (!isUuid(id)) return false;
    return (await this.sql.unsafe(Q.deadLetterAddTags, [id, JSON.stringify(tags)])).count === 1;
  }

  async upsertSchedule(s: ScheduleUpsert): Promise<ScheduleRecord> {
    const rows = await this.q(Q.scheduleUpsert, [
      Bun.randomUUIDv7(),
      s.name,
      s.scheduleType,
      s.scheduleValue,
      s.priority,
      s.queue,
      s.maxAttempts,
      JSON.stringify(s.args),
      s.nextRun,
    ]);
    return toSchedule(rows[0]!);
  }

  async getSchedule(name: string): Promise<ScheduleRecord | null> {
    const rows = await this.q(Q.scheduleGet, [name]);
    return rows[0] ? toSchedule(rows[0]) : null;
  }

  async listSchedules(status?: "active" | "paused"): Promise<ScheduleRecord[]> {
    return (await this.q(Q.scheduleList, [status ?? null])).map(toSchedule);
  }

  async setScheduleStatus(name: string, status: "active" | "paused"): Promise<boolean> {
    return (await this.sql.unsafe(Q.scheduleSetStatus, [name, status])).count > 0;
  }

  async removeSchedule(name: string): Promise<boolean> {
    return (await this.sql.unsafe(Q.scheduleRemove, [name])).count > 0;
  }

  async fireSchedule(name: string, expectedNextRun: Date, nextRun: Date, job: NewJob): Promise<boolean> {
    const fired = await this.sql.begin(async (tx) => {
      const res = await tx.unsafe(Q.scheduleAdvance, [name, expectedNextRun, nextRun, job.id]);
      if (res.count !== 1) return false;
      await tx.unsafe(Q.insertJobs, [newJobsJson([job])]); // its NOTIFY is delivered at commit
      return true;
    });
    return fired;
  }

  async reset(): Promise<void> {
    await this.q("TRUNCATE soniq_jobs, soniq_dead_letter_jobs, soniq_recurring_jobs, soniq_workers CASCADE");
  }

  async searchJobs(filter: JobSearchFilter): Promise<JobSearchResult> {
    const rows = await this.q(DQ.searchJobs, [
      filter.queue ?? null,
      filter.status ?? null,
      filter.jobName ?? null,
      filter.search ? filter.search : null,
      filter.limit ?? 100,
      filter.offset ?? 0,
    ]);
    return { total: rows[0]?.total ?? 0, jobs: rows.filter((r) => r.id !== null).map(toJobRecord) };
  }

  async jobTimeline(options: TimelineOptions): Promise<TimelineBucket[]> {
    const since = options.since.getTime();
    const width = options.bucketSeconds * 1000;
    return (await this.q(DQ.jobTimeline, [options.since, options.bucketSeconds])).map((r) => ({
      start: new Date(since + r.bucket * width),
      enqueued: r.enqueued,
      completed: r.completed,
      deadLettered: r.dead_lettered,
    }));
  }

  // ---------------------------------------------------------------- copying stores (soniq migrate-store)

  async exportQueuedJobs(afterId: string | null, limit: number): Promise<StoredJob[]> {
    return (await this.q(SQ.exportJobs, [afterId, limit])).map(toStoredJob);
  }

  async exportDeadLetters(afterId: string | null, limit: number): Promise<StoredDeadLetter[]> {
    return (await this.q(SQ.exportDeadLetters, [afterId, limit])).map(toStoredDeadLetter);
  }

  async exportSchedules(): Promise<StoredSchedule[]> {
    return (await this.q(SQ.exportSchedules)).map(toStoredSchedule);
  }

  async lookupStoreRows(keys: StoreLookup): Promise<StoreLookupResult> {
    // A key that is not a UUID cannot be stored here, so it matches nothing.
    const jobIds = keys.jobIds.filter(isUuid);
    const deadIds = [...jobIds, ...keys.deadLetterIds.filter(isUuid)];
    const none = Promise.resolve([] as Row[]);
    const pairs = lookupPairs(keys);
    const [jobs, deadLetters, schedules, ledger] = await Promise.all([
      jobIds.length || keys.uniqueKeys.length || keys.dedupKeys.length
        ? this.q(SQ.lookupJobs, [JSON.stringify(jobIds), JSON.stringify(keys.uniqueKeys.map((k) => [k.jobName, k.argsHash])), JSON.stringify(keys.dedupKeys)])
        : none,
      deadIds.length ? this.q(SQ.lookupDeadLetters, [JSON.stringify(deadIds)]) : none,
      keys.scheduleNames.length ? this.q(SQ.lookupSchedules, [JSON.stringify(keys.scheduleNames)]) : none,
      pairs.length ? this.q(SQ.ledgerExists) : none,
    ]);
    const imported = ledger[0]?.present ? await this.q(SQ.lookupImported, [ledgerPairsJson(pairs)]) : [];
    return {
      jobs: jobs.map(toStoredJob),
      deadLetters: deadLetters.map(toStoredDeadLetter),
      schedules: schedules.map(toStoredSchedule),
      imported: imported.map((r) => ({ kind: r.kind, key: r.key })),
    };
  }

  async importStoreRows(batch: StoreImportBatch): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx.unsafe(SQ.importLock);
      await tx.unsafe(SQ.ledgerCreate);
      if (batch.jobs.length) await tx.unsafe(SQ.importJobs, [storedJobsJson(batch.jobs)]); // its NOTIFY is delivered at commit
      if (batch.schedules.length) await tx.unsafe(SQ.importSchedules, [storedSchedulesJson(batch.schedules)]);
      if (batch.deadLetters.length) await tx.unsafe(SQ.importDeadLetters, [storedDeadLettersJson(batch.deadLetters)]);
      const pairs = importPairs(batch);
      if (pairs.length) await tx.unsafe(SQ.importMark, [ledgerPairsJson(pairs)]);
    });
  }
}

/** The caller's connection (postgres.js, Bun.sql, pg, Drizzle or Kysely; see connection.ts) as a PgQueryable. */
function asQueryable(connection: unknown): PgQueryable {
  const adapter = adaptConnection(connection);
  return { unsafe: (text, params = []) => adapter.query(text, params) };
}

/**
 * SQLSTATE classes where PostgreSQL refused the data or the statement itself: the same write
 * fails again. Anything else (connection lost, server restarting, out of resources, lock or
 * serialization conflicts, driver-side socket errors) may pass on retry.
 */
const REFUSED_SQLSTATE = /^(0A|21|22|23|2F|42|44|54)[0-9A-Z]{3}$/;

export function isTransientPgError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // postgres.js and the socket give every connection failure a code (CONNECTION_CLOSED,
  // ECONNRESET, ...); an error without one did not come from the wire, so retrying it blindly is
  // no cure: callers isolate it instead.
  if (typeof code !== "string" || code.startsWith("SONIQ_")) return false; // our own refusals are final
  return !REFUSED_SQLSTATE.test(code);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(id: string): boolean {
  return typeof id === "string" && UUID_RE.test(id);
}

function runTime(j: ClaimedJob): number {
  return (j.scheduledAt ?? j.createdAt).getTime();
}

function toClaimed(r: Row): ClaimedJob {
  return {
    id: r.id,
    jobName: r.job_name,
    args: r.args,
    attempts: r.attempts,
    maxAttempts: r.max_attempts ?? 1,
    queue: r.queue ?? "default",
    priority: r.priority ?? 100,
    scheduledAt: r.scheduled_at,
    createdAt: r.created_at ?? new Date(),
  };
}

function toJobRecord(r: Row): JobRecord {
  return {
    id: r.id,
    jobName: r.job_name,
    args: r.args,
    status: r.status,
    attempts: r.attempts ?? 0,
    maxAttempts: r.max_attempts ?? 1,
    queue: r.queue ?? "default",
    priority: r.priority ?? 100,
    uniqueJob: r.unique_job ?? false,
    dedupKey: r.dedup_key,
    scheduledAt: r.scheduled_at,
    expiresAt: r.expires_at,
    lastError: r.last_error,
    result: r.result,
    producerId: r.producer_id,
    workerId: r.worker_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toDeadLetter(r: Row): DeadLetterRecord {
  return {
    id: r.id,
    jobName: r.job_name,
    args: r.args,
    queue: r.queue,
    priority: r.priority,
    maxAttempts: r.max_attempts,
    attempts: r.attempts,
    lastError: r.last_error,
    reason: r.dead_letter_reason,
    originalCreatedAt: r.original_created_at,
    movedAt: r.moved_to_dead_letter_at,
    resurrectionCount: r.resurrection_count ?? 0,
    lastResurrectionAt: r.last_resurrection_at,
    tags: decodeTags(r.tags),
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
    args: r.job_kwargs ?? {},
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastRun: r.last_run,
    nextRun: r.next_run,
    runCount: r.run_count,
    lastJobId: r.last_job_id,
  };
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
    uniqueJob: r.unique_job,
    dedupKey: r.dedup_key,
    scheduledAt: r.scheduled_at,
    lastError: r.last_error,
    producerId: r.producer_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
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
    originalCreatedAt: r.original_created_at,
    movedAt: r.moved_to_dead_letter_at,
    resurrectionCount: r.resurrection_count,
    lastResurrectionAt: r.last_resurrection_at,
    tagsJson: r.tags_json,
    createdAt: r.created_at,
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
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastRun: r.last_run,
    nextRun: r.next_run,
    runCount: r.run_count,
    lastJobId: r.last_job_id,
  };
}

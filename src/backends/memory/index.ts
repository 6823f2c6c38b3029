import { ErrorCodes, SoniqError } from "../../errors.ts";
import { outcomesByKind } from "../shared.ts";
import { BY_DATE_DAYS, decodeTagsText, mergeTags, resurrectionRate, tagFilterParam, tagsMatch, utcDay } from "../dead-letter-tags.ts";
import type {
  BackendCapabilities,
  ClaimedJob,
  DeadLetterFilter,
  DeadLetterRecord,
  DeadLetterStats,
  DeadLetterStatsOptions,
  DeadLetterTagValue,
  JobOutcome,
  HeartbeatThreadSpec,
  OutcomeWriteFailure,
  JobRecord,
  JobStatus,
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
import type { JobSearchFilter, JobSearchResult, TimelineBucket, TimelineOptions } from "../types.ts";
import type { StoredDeadLetter, StoredJob, StoredSchedule, StoreImportBatch, StoreLookup, StoreLookupResult } from "../types.ts";
import { importPairs, lookupPairs } from "../store-copy.ts";
import { ClaimIndex } from "./claim-index.ts";
import { LocalNotifier } from "./notifier.ts";

/**
 * Everything in this process's memory: for tests, demos and single-process apps that can lose
 * their queue on exit. It follows the Postgres backend statement by statement (the SQL in
 * sql/postgres/queries is the reference), including its unique indexes and owner/attempt guards.
 *
 * Every method does all of its work synchronously before its first await, so each call is atomic
 * with respect to the others, as one SQL statement or transaction is. JSON is kept as text and
 * parsed on the way out so callers never share (and mutate) stored objects.
 */

interface JobRow {
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
  scheduledAt: number | null;
  expiresAt: number | null;
  lastError: string | null;
  resultJson: string | null;
  producerId: string | null;
  workerId: string | null;
  createdAt: number;
  updatedAt: number;
  /** scheduledAt ?? createdAt, kept in step with both (claim order and "is it due"). */
  runAt: number;
  indexToken: number;
}

interface DeadRow {
  id: string;
  jobName: string;
  argsJson: string;
  queue: string;
  priority: number;
  maxAttempts: number;
  attempts: number;
  lastError: string | null;
  reason: string;
  originalCreatedAt: number;
  movedAt: number;
  resurrectionCount: number;
  lastResurrectionAt: number | null;
  tagsJson: string | null;
}

interface WorkerRow {
  id: string;
  hostname: string;
  pid: number;
  queues: string[];
  concurrency: number;
  status: WorkerRecord["status"];
  lastHeartbeat: number;
  startedAt: number;
  version: string | null;
  metadataJson: string | null;
}

interface ScheduleRow {
  id: string;
  name: string;
  scheduleType: "interval" | "cron";
  scheduleValue: string;
  priority: number;
  queue: string;
  maxAttempts: number;
  argsJson: string;
  status: "active" | "paused";
  createdAt: number;
  updatedAt: number;
  lastRun: number | null;
  nextRun: number | null;
  runCount: number;
  lastJobId: string | null;
}

/** What Postgres raises when a row would break a unique index; the statement changes nothing. */
export class UniqueViolationError extends Error {
  override readonly name = "UniqueViolationError";
  readonly code = "23505";
  constructor(readonly constraint: string, key: string) {
    super(`duplicate key value violates unique constraint "${constraint}" (${key})`);
  }
}

export class MemoryBackend implements StorageBackend {
  readonly kind = "memory" as const;
  readonly capabilities: BackendCapabilities = {
    transactionalEnqueue: false,
    pushNotify: false,
    advisoryLocks: false,
    multiProcess: false,
  };

  private readonly jobs = new Map<string, JobRow>();
  private readonly byStatus: Record<JobStatus, Set<string>> = {
    queued: new Set(),
    processing: new Set(),
    done: new Set(),
    cancelled: new Set(),
  };
  private readonly claimIndex = new ClaimIndex<JobRow>();
  /** The two partial unique indexes of soniq_jobs, over queued rows only. */
  private readonly uniqueKeys = new Map<string, string>();
  private readonly dedupKeys = new Map<string, string>();
  private readonly deadLetters = new Map<string, DeadRow>();
  private readonly workers = new Map<string, WorkerRow>();
  private readonly schedules = new Map<string, ScheduleRow>();
  private readonly notifier = new LocalNotifier();
  private readonly heldLocks = new Set<LeaderKey>();

  async initialize(): Promise<void> {}

  async setup(): Promise<number> {
    return 0;
  }

  /** Nothing to migrate: the store is created with the object. */
  async migrationStatus(): Promise<{ version: string; name: string; applied: boolean }[]> {
    return [];
  }

  async close(): Promise<void> {
    this.notifier.flush();
    this.notifier.clear();
  }

  // ---------------------------------------------------------------- jobs

  async insertJobs(jobs: NewJob[], connection?: unknown): Promise<string[]> {
    if (connection !== undefined) {
      throw new SoniqError(ErrorCodes.UNSUPPORTED, "transactional enqueue (connection) needs the Postgres backend; memory has no shared transactions");
    }
    if (jobs.length === 0) return [];
    const now = Date.now();
    const single = jobs.length === 1 ? jobs[0]! : null;
    let ids: string[];
    if (single?.dedupKey != null) {
      const existing = this.dedupKeys.get(single.dedupKey);
      if (existing !== undefined) ids = [existing];
      else ids = this.insertRows([newRow({ ...single, argsHash: null, uniqueJob: false }, now)], now);
    } else if (single?.uniqueJob) {
      const existing = single.argsHash === null ? undefined : this.uniqueKeys.get(uniqueKey(single.jobName, single.argsHash));
      if (existing !== undefined) ids = [existing];
      else ids = this.insertRows([newRow({ ...single, dedupKey: null }, now)], now);
    } else {
      if (jobs.some((j) => j.uniqueJob || j.dedupKey != null)) {
        throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, "unique and dedupKey jobs are enqueued one at a time");
      }
      ids = this.insertRows(jobs.map((j) => newRow(j, now)), now);
    }
    for (const queue of new Set(jobs.map((j) => j.queue))) this.notifyNewJob(queue);
    return ids;
  }

  notifyNewJob(queue: string): void {
    this.notifier.notify(queue);
  }

  async listen(onJob: (queue: string) => void): Promise<() => Promise<void>> {
    const unsubscribe = this.notifier.subscribe(onJob);
    return async () => unsubscribe();
  }

  async claimJobs(workerId: string, queues: readonly string[] | null, limit: number): Promise<ClaimedJob[]> {
    if (limit <= 0) return [];
    const now = Date.now();
    const claimed = this.claimIndex.take(queues, limit, now);
    return claimed.map((row) => {
      this.mutate(row, now, () => {
        row.status = "processing";
        row.attempts += 1;
        row.workerId = workerId;
        row.updatedAt = now;
      });
      return {
        id: row.id,
        jobName: row.jobName,
        args: JSON.parse(row.argsJson),
        attempts: row.attempts,
        maxAttempts: row.maxAttempts,
        queue: row.queue,
        priority: row.priority,
        scheduledAt: toDate(row.scheduledAt),
        createdAt: new Date(row.createdAt),
      };
    });
  }

  /** In memory nothing can refuse a write halfway: every outcome applies, so no failure is ever reported. */
  async applyOutcomes(workerId: string, outcomes: readonly JobOutcome[], resultTtl: number): Promise<OutcomeWriteFailure[]> {
    const { done, retry, dead } = outcomesByKind(outcomes);
    const now = Date.now();
    const owned = (o: JobOutcome) => {
      const row = this.jobs.get(o.id);
      return row && row.status === "processing" && row.workerId === workerId && row.attempts === o.attempts ? row : undefined;
    };
    for (const o of done) {
      const row = owned(o);
      if (!row) continue;
      if (resultTtl > 0) {
        this.mutate(row, now, () => {
          row.status = "done";
          row.resultJson = o.resultJson;
          row.expiresAt = now + Math.round(resultTtl * 1000);
          row.updatedAt = now;
        });
      } else {
        this.removeRow(row);
      }
    }
    const retrying = new Map<JobRow, (typeof retry)[number]>();
    for (const o of retry) {
      const row = owned(o);
      if (row && !retrying.has(row)) retrying.set(row, o);
    }
    this.requeue([...retrying.keys()], now, (row) => {
      const o = retrying.get(row)!;
      row.lastError = o.error;
      if (o.refundAttempt) row.attempts = Math.max(0, row.attempts - 1);
      row.scheduledAt = o.delaySeconds > 0 ? now + Math.round(o.delaySeconds * 1000) : null;
      row.runAt = row.scheduledAt ?? row.createdAt;
    });
    for (const o of dead) {
      const row = owned(o);
      if (!row) continue;
      this.removeRow(row);
      const previous = this.deadLetters.get(row.id);
      if (previous) {
        previous.attempts = o.recordAttempts;
        previous.lastError = o.error;
        previous.reason = o.reason;
        previous.movedAt = now;
      } else {
        this.deadLetters.set(row.id, {
          id: row.id,
          jobName: row.jobName,
          argsJson: row.argsJson,
          queue: row.queue,
          priority: row.priority,
          maxAttempts: row.maxAttempts,
          attempts: o.recordAttempts,
          lastError: o.error,
          reason: o.reason,
          originalCreatedAt: row.createdAt,
          movedAt: now,
          resurrectionCount: 0,
          lastResurrectionAt: null,
          tagsJson: null,
        });
      }
    }
    return [];
  }

  isTransientError(_error: unknown): boolean {
    return false;
  }

  async nackJobs(workerId: string, ids: readonly string[]): Promise<number> {
    const now = Date.now();
    const rows = [...new Set(ids)].flatMap((id) => {
      const row = this.jobs.get(id);
      return row && row.status === "processing" && row.workerId === workerId ? [row] : [];
    });
    this.requeue(rows, now);
    return rows.length;
  }

  async requeueOrphans(workerId: string, keepIds: readonly string[]): Promise<number> {
    const keep = new Set(keepIds);
    const rows = [...this.jobs.values()].filter((row) => row.status === "processing" && row.workerId === workerId && !keep.has(row.id));
    this.requeue(rows, Date.now());
    return rows.length;
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const row = this.jobs.get(id);
    return row ? toJobRecord(row) : null;
  }

  async listJobs(filter: ListJobsFilter): Promise<JobRecord[]> {
    const pool = filter.status === undefined ? this.jobs.keys() : this.byStatus[filter.status]?.values() ?? [];
    const rows: JobRow[] = [];
    for (const id of pool) {
      const row = this.jobs.get(id)!;
      if (filter.queue !== undefined && row.queue !== filter.queue) continue;
      if (filter.jobName !== undefined && row.jobName !== filter.jobName) continue;
      rows.push(row);
    }
    rows.sort((a, b) => b.createdAt - a.createdAt || compareDesc(a.id, b.id));
    const offset = filter.offset ?? 0;
    return rows.slice(offset, offset + (filter.limit ?? 100)).map(toJobRecord);
  }

  async cancelJob(id: string): Promise<boolean> {
    const row = this.jobs.get(id);
    if (!row || row.status !== "queued") return false;
    const now = Date.now();
    this.mutate(row, now, () => {
      row.status = "cancelled";
      row.updatedAt = now;
    });
    return true;
  }

  async deleteJob(id: string): Promise<boolean> {
    const row = this.jobs.get(id);
    if (!row) return false;
    this.removeRow(row);
    return true;
  }

  async getQueueStats(): Promise<QueueStats> {
    const stats = {
      queued: this.byStatus.queued.size,
      processing: this.byStatus.processing.size,
      done: this.byStatus.done.size,
      dead_letter: this.deadLetters.size,
      cancelled: this.byStatus.cancelled.size,
    };
    return { total: stats.queued + stats.processing + stats.done + stats.dead_letter + stats.cancelled, ...stats };
  }

  async getQueueBreakdown(): Promise<QueueBreakdown[]> {
    const now = Date.now();
    const byQueue = new Map<string, QueueBreakdown & { oldest: number | null }>();
    for (const row of this.jobs.values()) {
      let b = byQueue.get(row.queue);
      if (!b) {
        b = { queue: row.queue, queued: 0, processing: 0, done: 0, cancelled: 0, oldestQueuedAgeSeconds: null, oldest: null };
        byQueue.set(row.queue, b);
      }
      b[row.status]++;
      if (row.status === "queued" && row.runAt <= now && (b.oldest === null || row.runAt < b.oldest)) b.oldest = row.runAt;
    }
    return [...byQueue.values()]
      .sort((a, b) => compareAsc(a.queue, b.queue))
      .map(({ oldest, ...b }) => ({ ...b, oldestQueuedAgeSeconds: oldest === null ? null : (now - oldest) / 1000 }));
  }

  // ---------------------------------------------------------------- workers

  async registerWorker(w: WorkerRegistration, staleAfterSeconds: number): Promise<string | null> {
    const now = Date.now();
    const previous = [...this.workers.values()].find((r) => r.hostname === w.hostname && r.pid === w.pid);
    // A live worker holds this (hostname, pid): never take it over.
    if (previous && previous.status !== "stopped" && previous.lastHeartbeat > now - staleAfterSeconds * 1000) return null;
    if (!previous && this.workers.has(w.id)) throw new UniqueViolationError("soniq_workers_pkey", `id=${w.id}`);
    const fields = {
      queues: [...w.queues],
      concurrency: w.concurrency,
      status: "active" as const,
      lastHeartbeat: now,
      startedAt: now,
      version: w.version,
      metadataJson: JSON.stringify(w.metadata),
    };
    if (!previous) {
      this.workers.set(w.id, { id: w.id, hostname: w.hostname, pid: w.pid, ...fields });
      return w.id;
    }
    // The predecessor with this (hostname, pid) is stopped or silent: its processing jobs go back first.
    this.requeue(this.processingOf(new Set([previous.id])), now);
    Object.assign(previous, fields);
    return previous.id;
  }

  /** One process: the heartbeat runs on the event loop. */
  heartbeatThread(): null {
    return null;
  }

  async heartbeat(workerId: string, metadata?: Record<string, unknown>): Promise<void> {
    const row = this.workers.get(workerId);
    if (!row) return;
    row.lastHeartbeat = Date.now();
    row.status = "active";
    if (metadata) row.metadataJson = JSON.stringify(metadata);
  }

  async markWorkerStopped(workerId: string): Promise<void> {
    const row = this.workers.get(workerId);
    if (!row) return;
    row.status = "stopped";
    row.lastHeartbeat = Date.now();
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    return [...this.workers.values()]
      .sort((a, b) => b.startedAt - a.startedAt || compareDesc(a.id, b.id))
      .map((r) => ({
        id: r.id,
        hostname: r.hostname,
        pid: r.pid,
        queues: [...r.queues],
        concurrency: r.concurrency,
        status: r.status,
        lastHeartbeat: new Date(r.lastHeartbeat),
        startedAt: new Date(r.startedAt),
        version: r.version,
        metadata: r.metadataJson === null ? null : JSON.parse(r.metadataJson),
      }));
  }

  async rescueStaleWorkers(timeoutSeconds: number, threadTimeoutSeconds = timeoutSeconds): Promise<{ workers: number; jobs: number }> {
    const now = Date.now();
    const cutoff = now - timeoutSeconds * 1000;
    const threadCutoff = now - threadTimeoutSeconds * 1000;
    const silent = (w: { lastHeartbeat: number; metadataJson: string | null }) =>
      w.lastHeartbeat < (threadHeartbeat(w.metadataJson) ? threadCutoff : cutoff);
    const stale = [...this.workers.values()].filter((w) => w.status !== "stopped" && silent(w));
    const stopped = new Set([...this.workers.values()].filter((w) => w.status === "stopped").map((w) => w.id));
    for (const w of stale) stopped.add(w.id);
    // A worker row that is gone counts as "no owner" (Postgres's foreign key would have nulled it).
    const rows = [...this.byStatus.processing].map((id) => this.jobs.get(id)!).filter((row) =>
      row.workerId !== null && stopped.has(row.workerId)
        ? true
        : row.updatedAt < cutoff && (row.workerId === null || !this.workers.has(row.workerId)),
    );
    this.requeue(rows, now);
    for (const w of stale) w.status = "stopped";
    return { workers: stale.length, jobs: rows.length };
  }

  async deleteExpiredJobs(): Promise<number> {
    const now = Date.now();
    let n = 0;
    for (const id of [...this.byStatus.done]) {
      const row = this.jobs.get(id)!;
      if (row.expiresAt !== null && row.expiresAt < now) {
        this.removeRow(row);
        n++;
      }
    }
    return n;
  }

  /** One process only, so an in-process flag is the whole lock; a concurrent caller gets false, as with Postgres. */
  async withLeaderLock(key: LeaderKey, fn: () => Promise<void>): Promise<boolean> {
    if (this.heldLocks.has(key)) return false;
    this.heldLocks.add(key);
    try {
      await fn();
      return true;
    } finally {
      this.heldLocks.delete(key);
    }
  }

  // ---------------------------------------------------------------- dead letters

  private matchingDeadLetters(f: DeadLetterFilter): DeadRow[] {
    const set = (xs?: string[]) => (xs && xs.length ? new Set(xs) : null);
    const names = set(f.jobNames);
    const queues = set(f.queues);
    const reasons = set(f.reasons);
    const since = f.since?.getTime();
    const before = f.before?.getTime();
    const hasTags = tagFilterParam(f.tags) !== null;
    return [...this.deadLetters.values()].filter(
      (d) =>
        (!names || names.has(d.jobName)) &&
        (!queues || queues.has(d.queue)) &&
        (!reasons || reasons.has(d.reason)) &&
        (since === undefined || d.movedAt >= since) &&
        (before === undefined || d.movedAt < before) &&
        (f.resurrected === undefined || f.resurrected === null || d.resurrectionCount > 0 === f.resurrected) &&
        (!hasTags || tagsMatch(decodeTagsText(d.tagsJson), f.tags)),
    );
  }

  async listDeadLetters(filter: DeadLetterFilter): Promise<DeadLetterRecord[]> {
    const rows = this.matchingDeadLetters(filter).sort((a, b) => b.movedAt - a.movedAt || compareDesc(a.id, b.id));
    const offset = filter.offset ?? 0;
    return rows.slice(offset, offset + (filter.limit ?? 1000)).map(toDeadLetter);
  }

  async countDeadLetters(filter: DeadLetterFilter): Promise<number> {
    return this.matchingDeadLetters(filter).length;
  }

  async getDeadLetter(id: string): Promise<DeadLetterRecord | null> {
    const row = this.deadLetters.get(id);
    return row ? toDeadLetter(row) : null;
  }

  async replayDeadLetter(id: string, newJobId: string, o: ReplayOptions): Promise<string | null> {
    const dl = this.deadLetters.get(id);
    if (!dl) return null;
    const now = Date.now();
    const row = newRow(
      {
        id: newJobId,
        jobName: dl.jobName,
        argsJson: dl.argsJson,
        argsHash: null,
        maxAttempts: o.maxAttempts ?? dl.maxAttempts,
        queue: o.queue ?? dl.queue,
        priority: o.priority ?? dl.priority,
        uniqueJob: false,
        dedupKey: null,
        scheduledAt: null,
        producerId: null,
      },
      now,
    );
    row.attempts = o.resetAttempts ?? true ? 0 : dl.attempts;
    this.insertRows([row], now);
    dl.resurrectionCount += 1;
    dl.lastResurrectionAt = now;
    this.notifyNewJob(row.queue);
    return row.id;
  }

  async deleteDeadLetter(id: string): Promise<boolean> {
    return this.deadLetters.delete(id);
  }

  async purgeDeadLetters(filter: DeadLetterFilter): Promise<number> {
    const rows = this.matchingDeadLetters(filter);
    for (const d of rows) this.deadLetters.delete(d.id);
    return rows.length;
  }

  async deadLetterStats(options: DeadLetterStatsOptions = {}): Promise<DeadLetterStats> {
    const now = Date.now();
    const since = options.hours === undefined ? null : now - Math.round(options.hours * 3_600_000);
    const weekAgo = now - BY_DATE_DAYS * 86_400_000;
    const stats: DeadLetterStats = {
      total: 0,
      byJobName: {},
      byQueue: {},
      byReason: {},
      oldestAgeHours: null,
      resurrectedCount: 0,
      resurrectionSuccessRate: 0,
      byDate: {},
    };
    let oldest: number | null = null;
    const days: string[] = [];
    for (const d of this.deadLetters.values()) {
      if (d.movedAt >= weekAgo) days.push(utcDay(d.movedAt));
      if (since !== null && d.movedAt < since) continue;
      stats.total++;
      stats.byJobName[d.jobName] = (stats.byJobName[d.jobName] ?? 0) + 1;
      stats.byQueue[d.queue] = (stats.byQueue[d.queue] ?? 0) + 1;
      stats.byReason[d.reason] = (stats.byReason[d.reason] ?? 0) + 1;
      if (d.resurrectionCount > 0) stats.resurrectedCount++;
      if (oldest === null || d.movedAt < oldest) oldest = d.movedAt;
    }
    stats.oldestAgeHours = oldest === null ? null : (now - oldest) / 3_600_000;
    stats.resurrectionSuccessRate = resurrectionRate(stats.resurrectedCount, stats.total);
    for (const day of days.sort()) stats.byDate[day] = (stats.byDate[day] ?? 0) + 1;
    return stats;
  }

  async tagDeadLetter(id: string, tags: Record<string, DeadLetterTagValue>): Promise<boolean> {
    const row = this.deadLetters.get(id);
    if (!row) return false;
    row.tagsJson = JSON.stringify(mergeTags(decodeTagsText(row.tagsJson), tags));
    return true;
  }

  // ---------------------------------------------------------------- schedules

  async upsertSchedule(s: ScheduleUpsert): Promise<ScheduleRecord> {
    const now = Date.now();
    const row = this.schedules.get(s.name);
    if (row) {
      const keepNextRun = row.scheduleType === s.scheduleType && row.scheduleValue === s.scheduleValue && row.nextRun !== null;
      Object.assign(row, {
        scheduleType: s.scheduleType,
        scheduleValue: s.scheduleValue,
        priority: s.priority,
        queue: s.queue,
        maxAttempts: s.maxAttempts,
        argsJson: JSON.stringify(s.args),
        nextRun: keepNextRun ? row.nextRun : s.nextRun.getTime(),
        updatedAt: now,
      });
      return toSchedule(row);
    }
    const created: ScheduleRow = {
      id: Bun.randomUUIDv7(),
      name: s.name,
      scheduleType: s.scheduleType,
      scheduleValue: s.scheduleValue,
      priority: s.priority,
      queue: s.queue,
      maxAttempts: s.maxAttempts,
      argsJson: JSON.stringify(s.args),
      status: "active",
      createdAt: now,
      updatedAt: now,
      lastRun: null,
      nextRun: s.nextRun.getTime(),
      runCount: 0,
      lastJobId: null,
    };
    this.schedules.set(s.name, created);
    return toSchedule(created);
  }

  async getSchedule(name: string): Promise<ScheduleRecord | null> {
    const row = this.schedules.get(name);
    return row ? toSchedule(row) : null;
  }

  async listSchedules(status?: "active" | "paused"): Promise<ScheduleRecord[]> {
    return [...this.schedules.values()]
      .filter((r) => status === undefined || r.status === status)
      .sort((a, b) => compareAsc(a.name, b.name))
      .map(toSchedule);
  }

  async setScheduleStatus(name: string, status: "active" | "paused"): Promise<boolean> {
    const row = this.schedules.get(name);
    if (!row) return false;
    row.status = status;
    row.updatedAt = Date.now();
    return true;
  }

  async removeSchedule(name: string): Promise<boolean> {
    return this.schedules.delete(name);
  }

  async fireSchedule(name: string, expectedNextRun: Date, nextRun: Date, job: NewJob): Promise<boolean> {
    const row = this.schedules.get(name);
    if (!row || row.status !== "active" || row.nextRun === null || Math.abs(row.nextRun - expectedNextRun.getTime()) >= 1) return false;
    const now = Date.now();
    // The insert is checked before the schedule moves: in Postgres both roll back together.
    this.insertRows([newRow(job, now)], now);
    row.nextRun = nextRun.getTime();
    row.lastRun = now;
    row.runCount += 1;
    row.lastJobId = job.id;
    row.updatedAt = now;
    this.notifyNewJob(job.queue);
    return true;
  }

  async reset(): Promise<void> {
    this.jobs.clear();
    for (const set of Object.values(this.byStatus)) set.clear();
    this.claimIndex.clear();
    this.uniqueKeys.clear();
    this.dedupKeys.clear();
    this.deadLetters.clear();
    this.schedules.clear();
    this.workers.clear();
  }

  // ---------------------------------------------------------------- dashboard reads

  async searchJobs(filter: JobSearchFilter): Promise<JobSearchResult> {
    const needle = filter.search ? filter.search.toLowerCase() : null;
    const pool = filter.status === undefined ? this.jobs.keys() : this.byStatus[filter.status]?.values() ?? [];
    const rows: JobRow[] = [];
    for (const id of pool) {
      const row = this.jobs.get(id)!;
      if (filter.queue !== undefined && row.queue !== filter.queue) continue;
      if (filter.jobName !== undefined && row.jobName !== filter.jobName) continue;
      if (
        needle !== null &&
        !row.jobName.toLowerCase().includes(needle) &&
        !(row.lastError ?? "").toLowerCase().includes(needle) &&
        !row.argsJson.toLowerCase().includes(needle) &&
        !row.id.toLowerCase().startsWith(needle)
      ) {
        continue;
      }
      rows.push(row);
    }
    rows.sort((a, b) => b.createdAt - a.createdAt || compareDesc(a.id, b.id));
    const offset = filter.offset ?? 0;
    return { total: rows.length, jobs: rows.slice(offset, offset + (filter.limit ?? 100)).map(toJobRecord) };
  }

  async jobTimeline(options: TimelineOptions): Promise<TimelineBucket[]> {
    const since = options.since.getTime();
    const width = Math.max(1, Math.round(options.bucketSeconds * 1000));
    const buckets = new Map<number, TimelineBucket>();
    const add = (at: number, key: "enqueued" | "completed" | "deadLettered") => {
      if (at < since) return;
      const index = Math.floor((at - since) / width);
      let b = buckets.get(index);
      if (!b) buckets.set(index, (b = { start: new Date(since + index * width), enqueued: 0, completed: 0, deadLettered: 0 }));
      b[key]++;
    };
    for (const row of this.jobs.values()) {
      add(row.createdAt, "enqueued");
      if (row.status === "done") add(row.updatedAt, "completed");
    }
    for (const d of this.deadLetters.values()) {
      add(d.originalCreatedAt, "enqueued");
      add(d.movedAt, "deadLettered");
    }
    return [...buckets.entries()].sort(([a], [b]) => a - b).map(([, b]) => b);
  }

  // ---------------------------------------------------------------- index upkeep

  /** Enter a row into the status sets and, when queued, the claim and unique indexes. */
  private track(row: JobRow, now: number): void {
    this.byStatus[row.status].add(row.id);
    if (row.status !== "queued") return;
    this.claimIndex.add(row.queue, row, now);
    if (row.uniqueJob && row.argsHash !== null) this.uniqueKeys.set(uniqueKey(row.jobName, row.argsHash), row.id);
    if (row.dedupKey !== null) this.dedupKeys.set(row.dedupKey, row.id);
  }

  private untrack(row: JobRow): void {
    this.byStatus[row.status].delete(row.id);
    if (row.status !== "queued") return;
    this.claimIndex.remove(row);
    if (row.uniqueJob && row.argsHash !== null) {
      const key = uniqueKey(row.jobName, row.argsHash);
      if (this.uniqueKeys.get(key) === row.id) this.uniqueKeys.delete(key);
    }
    if (row.dedupKey !== null && this.dedupKeys.get(row.dedupKey) === row.id) this.dedupKeys.delete(row.dedupKey);
  }

  /** Every change to an indexed field goes through here, so the indexes never go stale. */
  private mutate(row: JobRow, now: number, change: () => void): void {
    this.untrack(row);
    change();
    this.track(row, now);
  }

  private removeRow(row: JobRow): void {
    this.untrack(row);
    this.jobs.delete(row.id);
  }

  /** Insert all rows or none: the primary key and the queued unique indexes are checked first. */
  private insertRows(rows: JobRow[], now: number): string[] {
    const ids = new Set<string>();
    for (const row of rows) {
      if (this.jobs.has(row.id) || ids.has(row.id)) throw new UniqueViolationError("soniq_jobs_pkey", `id=${row.id}`);
      ids.add(row.id);
    }
    this.assertQueueable(rows);
    for (const row of rows) {
      this.jobs.set(row.id, row);
      this.track(row, now);
    }
    return rows.map((r) => r.id);
  }

  /**
   * Rows about to become queued must not collide with another queued row (or each other) on the
   * unique indexes. Postgres fails the whole statement in that case; so do we, before changing anything.
   */
  private assertQueueable(rows: readonly JobRow[]): void {
    const unique = new Map<string, string>();
    const dedup = new Map<string, string>();
    for (const row of rows) {
      if (row.uniqueJob && row.argsHash !== null) {
        const key = uniqueKey(row.jobName, row.argsHash);
        const holder = unique.get(key) ?? this.uniqueKeys.get(key);
        if (holder !== undefined && holder !== row.id) {
          throw new UniqueViolationError("idx_soniq_jobs_unique_queued", `job_name=${row.jobName}, args_hash=${row.argsHash}`);
        }
        unique.set(key, row.id);
      }
      if (row.dedupKey !== null) {
        const holder = dedup.get(row.dedupKey) ?? this.dedupKeys.get(row.dedupKey);
        if (holder !== undefined && holder !== row.id) throw new UniqueViolationError("idx_soniq_jobs_dedup_key", `dedup_key=${row.dedupKey}`);
        dedup.set(row.dedupKey, row.id);
      }
    }
  }

  /**
   * Back to queued with no owner, attempts kept (nack, rescue, worker takeover; a retry adds its own
   * changes). As in Postgres (soniq_requeue() in migration 0052), a row keeps its unique flag /
   * dedup key only if no queued row holds it and it is the first (lowest id) of these rows under
   * that key; otherwise it is requeued without it, so a twin enqueued while it ran keeps its claim,
   * both run and nothing collides.
   */
  private requeue(rows: readonly JobRow[], now: number, change?: (row: JobRow) => void): void {
    const seenUnique = new Set<string>();
    const seenDedup = new Set<string>();
    for (const row of [...rows].sort((a, b) => compareAsc(a.id, b.id))) {
      // Like Postgres: the first still-unique row per (job_name, args_hash) may keep the claim.
      const partition = JSON.stringify([row.jobName, row.argsHash]);
      const firstUnique = !seenUnique.has(partition);
      if (row.uniqueJob) seenUnique.add(partition);
      const keepUnique = row.uniqueJob && firstUnique && (row.argsHash === null || !this.uniqueKeys.has(uniqueKey(row.jobName, row.argsHash)));
      const dedupKey = row.dedupKey;
      const keepDedup = dedupKey !== null && !seenDedup.has(dedupKey) && !this.dedupKeys.has(dedupKey);
      if (dedupKey !== null) seenDedup.add(dedupKey);
      this.mutate(row, now, () => {
        row.status = "queued";
        row.workerId = null;
        row.updatedAt = now;
        row.uniqueJob = keepUnique;
        row.dedupKey = keepDedup ? dedupKey : null;
        change?.(row);
      });
    }
  }

  private processingOf(workerIds: ReadonlySet<string>): JobRow[] {
    const rows: JobRow[] = [];
    for (const id of this.byStatus.processing) {
      const row = this.jobs.get(id)!;
      if (row.workerId !== null && workerIds.has(row.workerId)) rows.push(row);
    }
    return rows;
  }

  // ---------------------------------------------------------------- copying stores (soniq migrate-store)

  /** The copy ledger (`soniq_store_imports` elsewhere): `kind\u0000key`. */
  private readonly storeImports = new Set<string>();

  async exportQueuedJobs(afterId: string | null, limit: number): Promise<StoredJob[]> {
    return [...this.byStatus.queued]
      .filter((id) => afterId === null || id > afterId)
      .sort(compareAsc)
      .slice(0, limit)
      .map((id) => toStoredJob(this.jobs.get(id)!));
  }

  async exportDeadLetters(afterId: string | null, limit: number): Promise<StoredDeadLetter[]> {
    return [...this.deadLetters.keys()]
      .filter((id) => afterId === null || id > afterId)
      .sort(compareAsc)
      .slice(0, limit)
      .map((id) => toStoredDeadLetter(this.deadLetters.get(id)!));
  }

  async exportSchedules(): Promise<StoredSchedule[]> {
    return [...this.schedules.values()].sort((a, b) => compareAsc(a.name, b.name)).map(toStoredSchedule);
  }

  async lookupStoreRows(keys: StoreLookup): Promise<StoreLookupResult> {
    const jobIds = new Set<string>(keys.jobIds);
    for (const k of keys.uniqueKeys) {
      const holder = this.uniqueKeys.get(uniqueKey(k.jobName, k.argsHash));
      if (holder !== undefined) jobIds.add(holder);
    }
    for (const key of keys.dedupKeys) {
      const holder = this.dedupKeys.get(key);
      if (holder !== undefined) jobIds.add(holder);
    }
    const some = <T>(values: (T | undefined)[]) => values.filter((v): v is T => v !== undefined);
    return {
      jobs: some([...jobIds].map((id) => this.jobs.get(id))).map(toStoredJob),
      deadLetters: some([...new Set([...keys.jobIds, ...keys.deadLetterIds])].map((id) => this.deadLetters.get(id))).map(toStoredDeadLetter),
      schedules: some(keys.scheduleNames.map((name) => this.schedules.get(name))).map(toStoredSchedule),
      imported: lookupPairs(keys).filter((p) => this.storeImports.has(`${p.kind}\u0000${p.key}`)),
    };
  }

  /** All or nothing, as one transaction: every key is checked before anything changes. */
  async importStoreRows(batch: StoreImportBatch): Promise<void> {
    const now = Date.now();
    const rows = batch.jobs.map((j) => {
      const row = newRow(
        {
          id: j.id,
          jobName: j.jobName,
          argsJson: j.argsJson,
          argsHash: j.argsHash,
          maxAttempts: j.maxAttempts,
          queue: j.queue,
          priority: j.priority,
          uniqueJob: j.uniqueJob,
          dedupKey: j.dedupKey,
          scheduledAt: j.scheduledAt,
          producerId: j.producerId,
        },
        now,
      );
      row.attempts = j.attempts;
      row.lastError = j.lastError;
      row.createdAt = j.createdAt.getTime();
      row.updatedAt = j.updatedAt.getTime();
      row.runAt = row.scheduledAt ?? row.createdAt;
      return row;
    });
    const ids = new Set<string>();
    for (const row of rows) {
      if (this.jobs.has(row.id) || ids.has(row.id)) throw new UniqueViolationError("soniq_jobs_pkey", `id=${row.id}`);
      ids.add(row.id);
    }
    this.assertQueueable(rows);
    const deadIds = new Set<string>();
    for (const d of batch.deadLetters) {
      if (this.deadLetters.has(d.id) || deadIds.has(d.id)) throw new UniqueViolationError("soniq_dead_letter_jobs_pkey", `id=${d.id}`);
      deadIds.add(d.id);
    }
    const names = new Set<string>();
    const scheduleIds = new Set([...this.schedules.values()].map((s) => s.id));
    for (const s of batch.schedules) {
      if (this.schedules.has(s.name) || names.has(s.name)) throw new UniqueViolationError("idx_soniq_recurring_jobs_name", `job_name=${s.name}`);
      if (scheduleIds.has(s.id)) throw new UniqueViolationError("soniq_recurring_jobs_pkey", `id=${s.id}`);
      names.add(s.name);
      scheduleIds.add(s.id);
    }
    this.insertRows(rows, now);
    for (const d of batch.deadLetters) {
      this.deadLetters.set(d.id, {
        id: d.id,
        jobName: d.jobName,
        argsJson: d.argsJson,
        queue: d.queue,
        priority: d.priority,
        maxAttempts: d.maxAttempts,
        attempts: d.attempts,
        lastError: d.lastError,
        reason: d.reason,
        originalCreatedAt: d.originalCreatedAt.getTime(),
        movedAt: d.movedAt.getTime(),
        resurrectionCount: d.resurrectionCount,
        lastResurrectionAt: d.lastResurrectionAt === null ? null : d.lastResurrectionAt.getTime(),
        tagsJson: d.tagsJson,
      });
    }
    for (const s of batch.schedules) {
      this.schedules.set(s.name, {
        id: s.id,
        name: s.name,
        scheduleType: s.scheduleType,
        scheduleValue: s.scheduleValue,
        priority: s.priority,
        queue: s.queue,
        maxAttempts: s.maxAttempts,
        argsJson: s.argsJson,
        status: s.status,
        createdAt: s.createdAt.getTime(),
        updatedAt: s.updatedAt.getTime(),
        lastRun: s.lastRun === null ? null : s.lastRun.getTime(),
        nextRun: s.nextRun === null ? null : s.nextRun.getTime(),
        runCount: s.runCount,
        lastJobId: s.lastJobId,
      });
    }
    for (const p of importPairs(batch)) this.storeImports.add(`${p.kind}\u0000${p.key}`);
    for (const queue of new Set(rows.map((r) => r.queue))) this.notifyNewJob(queue);
  }
}

function newRow(j: NewJob, now: number): JobRow {
  const scheduledAt = j.scheduledAt ? j.scheduledAt.getTime() : null;
  return {
    id: j.id,
    jobName: j.jobName,
    argsJson: j.argsJson,
    argsHash: j.argsHash,
    status: "queued",
    attempts: 0,
    maxAttempts: j.maxAttempts,
    queue: j.queue,
    priority: j.priority,
    uniqueJob: j.uniqueJob,
    dedupKey: j.dedupKey,
    scheduledAt,
    expiresAt: null,
    lastError: null,
    resultJson: null,
    producerId: j.producerId,
    workerId: null,
    createdAt: now,
    updatedAt: now,
    runAt: scheduledAt ?? now,
    indexToken: 0,
  };
}

function uniqueKey(jobName: string, argsHash: string): string {
  return `${jobName}\u0000${argsHash}`;
}

function toDate(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

function compareAsc(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareDesc(a: string, b: string): number {
  return compareAsc(b, a);
}

function toJobRecord(r: JobRow): JobRecord {
  return {
    id: r.id,
    jobName: r.jobName,
    args: JSON.parse(r.argsJson),
    status: r.status,
    attempts: r.attempts,
    maxAttempts: r.maxAttempts,
    queue: r.queue,
    priority: r.priority,
    uniqueJob: r.uniqueJob,
    dedupKey: r.dedupKey,
    scheduledAt: toDate(r.scheduledAt),
    expiresAt: toDate(r.expiresAt),
    lastError: r.lastError,
    result: r.resultJson === null ? null : JSON.parse(r.resultJson),
    producerId: r.producerId,
    workerId: r.workerId,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
  };
}

function toDeadLetter(r: DeadRow): DeadLetterRecord {
  return {
    id: r.id,
    jobName: r.jobName,
    args: JSON.parse(r.argsJson),
    queue: r.queue,
    priority: r.priority,
    maxAttempts: r.maxAttempts,
    attempts: r.attempts,
    lastError: r.lastError,
    reason: r.reason,
    originalCreatedAt: new Date(r.originalCreatedAt),
    movedAt: new Date(r.movedAt),
    resurrectionCount: r.resurrectionCount,
    lastResurrectionAt: toDate(r.lastResurrectionAt),
    tags: decodeTagsText(r.tagsJson),
  };
}

function toSchedule(r: ScheduleRow): ScheduleRecord {
  return {
    id: r.id,
    name: r.name,
    scheduleType: r.scheduleType,
    scheduleValue: r.scheduleValue,
    priority: r.priority,
    queue: r.queue,
    maxAttempts: r.maxAttempts,
    args: JSON.parse(r.argsJson),
    status: r.status,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
    lastRun: toDate(r.lastRun),
    nextRun: toDate(r.nextRun),
    runCount: r.runCount,
    lastJobId: r.lastJobId,
  };
}

/** The worker row says it heartbeats from a thread of its own (see StorageBackend.rescueStaleWorkers). */
function threadHeartbeat(metadataJson: string | null): boolean {
  if (metadataJson === null) return false;
  try {
    return (JSON.parse(metadataJson) as { heartbeat?: unknown } | null)?.heartbeat === "thread";
  } catch {
    return false;
  }
}

function toStoredJob(r: JobRow): StoredJob {
  return {
    id: r.id,
    jobName: r.jobName,
    argsJson: r.argsJson,
    argsHash: r.argsHash,
    status: r.status,
    attempts: r.attempts,
    maxAttempts: r.maxAttempts,
    queue: r.queue,
    priority: r.priority,
    uniqueJob: r.uniqueJob,
    dedupKey: r.dedupKey,
    scheduledAt: toDate(r.scheduledAt),
    lastError: r.lastError,
    producerId: r.producerId,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
  };
}

/** Memory keeps no separate created_at for a dead letter: it is the time the row was moved. */
function toStoredDeadLetter(r: DeadRow): StoredDeadLetter {
  return {
    id: r.id,
    jobName: r.jobName,
    argsJson: r.argsJson,
    queue: r.queue,
    priority: r.priority,
    maxAttempts: r.maxAttempts,
    attempts: r.attempts,
    lastError: r.lastError,
    reason: r.reason,
    originalCreatedAt: new Date(r.originalCreatedAt),
    movedAt: new Date(r.movedAt),
    resurrectionCount: r.resurrectionCount,
    lastResurrectionAt: toDate(r.lastResurrectionAt),
    tagsJson: r.tagsJson,
    createdAt: new Date(r.movedAt),
  };
}

function toStoredSchedule(r: ScheduleRow): StoredSchedule {
  return {
    id: r.id,
    name: r.name,
    scheduleType: r.scheduleType,
    scheduleValue: r.scheduleValue,
    priority: r.priority,
    queue: r.queue,
    maxAttempts: r.maxAttempts,
    argsJson: r.argsJson,
    status: r.status,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
    lastRun: toDate(r.lastRun),
    nextRun: toDate(r.nextRun),
    runCount: r.runCount,
    lastJobId: r.lastJobId,
  };
}

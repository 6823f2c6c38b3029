/**
 * The dashboard's JSON API. Every read goes through the storage contract (no SQL here); writes
 * use `app.deadLetter`, `app.cancelJob`/`deleteJob` and the schedule methods of the backend.
 * Routing, authentication and the write checks live in index.ts.
 */
import type { Settings } from "../settings.ts";
import { silenceLimitSeconds } from "../core/liveness.ts";
import { JOB_STATUSES, type DeadLetterFilter, type DeadLetterRecord, type JobRecord, type JobStatus, type NewJob, type ScheduleRecord, type TimelineBucket, type WorkerRecord } from "../backends/types.ts";
import { isSoniqError, SoniqError, ErrorCodes } from "../errors.ts";
import type { Soniq } from "../soniq.ts";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A handler result may carry its HTTP status under this key (JSON.stringify skips symbols). */
export const STATUS = Symbol("status");

export interface ApiContext {
  app: Soniq;
  req: Request;
  url: URL;
  /** Path segments after `/api/`, decoded. */
  parts: string[];
}

export interface RouteMatch {
  write: boolean;
  run: (ctx: ApiContext) => Promise<unknown>;
}

const MAX_PAGE = 500;
const MAX_BULK = 1000;
const MAX_BODY_BYTES = 1_000_000;

// ------------------------------------------------------------------ helpers

function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw.trim() === "") return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new HttpError(400, `${name} must be a non-negative integer`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new HttpError(400, `${name} must be between ${min} and ${max}`);
  return n;
}

function textParam(url: URL, ...names: string[]): string | undefined {
  for (const name of names) {
    const raw = url.searchParams.get(name);
    if (raw !== null && raw.trim() !== "") {
      if (raw.length > 500) throw new HttpError(400, `${name} is too long`);
      return raw.trim();
    }
  }
  return undefined;
}

function listParam(url: URL, name: string): string[] | undefined {
  const values = url.searchParams.getAll(name).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
  if (values.length > 100) throw new HttpError(400, `${name}: too many values`);
  return values.length ? values : undefined;
}

function statusParam(url: URL): JobStatus | undefined {
  const status = textParam(url, "status");
  if (status === undefined) return undefined;
  if (!(JOB_STATUSES as readonly string[]).includes(status)) {
    throw new HttpError(400, `status must be one of ${JOB_STATUSES.join(", ")} (dead letters: /api/dead-letter)`);
  }
  return status as JobStatus;
}

async function jsonBody(req: Request): Promise<Record<string, unknown>> {
  const length = Number(req.headers.get("content-length") ?? "0");
  if (length > MAX_BODY_BYTES) throw new HttpError(413, "request body too large");
  const text = await req.text();
  if (text.length > MAX_BODY_BYTES) throw new HttpError(413, "request body too large");
  if (text.trim() === "") return {};
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, "send the body as application/json");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid JSON body");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new HttpError(400, "the body must be a JSON object");
  return body as Record<string, unknown>;
}

/** `lastError` holds "Name: message\n    at ..." for thrown errors: split it for display. */
export function splitError(text: string | null): { error: string | null; stack: string | null } {
  if (text === null || text === undefined) return { error: null, stack: null };
  const nl = text.indexOf("\n");
  if (nl < 0) return { error: text, stack: null };
  return { error: text.slice(0, nl), stack: text.slice(nl + 1) };
}

function jobView(job: JobRecord) {
  return { ...job, ...splitError(job.lastError) };
}

function deadLetterView(row: DeadLetterRecord) {
  return { ...row, ...splitError(row.lastError) };
}

export function workerView(w: WorkerRecord, settings: Pick<Settings, "heartbeatTimeout" | "rescueAfter">, now = Date.now()) {
  const heartbeatAgeSeconds = Math.max(0, (now - w.lastHeartbeat.getTime()) / 1000);
  const running = typeof w.metadata?.running === "number" ? (w.metadata.running as number) : null;
  const stale = w.status === "active" && heartbeatAgeSeconds > silenceLimitSeconds(w.metadata, settings);
  return { ...w, heartbeatAgeSeconds, stale, state: stale ? "stale" : w.status, running };
}

function scheduleView(s: ScheduleRecord) {
  return s;
}

async function backend(app: Soniq) {
  await app.ensureInitialized();
  return app.backend;
}

function dlqFilter(url: URL): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  const names = listParam(url, "job_name");
  const queues = listParam(url, "queue");
  const reasons = listParam(url, "reason");
  if (names) filter.jobNames = names;
  if (queues) filter.queues = queues;
  if (reasons) filter.reasons = reasons;
  const resurrected = textParam(url, "resurrected");
  if (resurrected !== undefined) {
    if (resurrected !== "true" && resurrected !== "false") throw new HttpError(400, "resurrected must be true or false");
    filter.resurrected = resurrected === "true";
  }
  return filter;
}

function bodyFilter(raw: unknown): DeadLetterFilter {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new HttpError(400, "filter must be an object");
  const f = raw as Record<string, unknown>;
  const list = (key: string, ...aliases: string[]) => {
    for (const k of [key, ...aliases]) {
      const v = f[k];
      if (v === undefined || v === null || v === "") continue;
      const xs = Array.isArray(v) ? v : [v];
      if (!xs.every((x) => typeof x === "string" && x.length <= 500)) throw new HttpError(400, `filter.${k} must be a string or a list of strings`);
      return xs as string[];
    }
    return undefined;
  };
  const filter: DeadLetterFilter = {};
  const names = list("jobNames", "jobName", "job_name");
  const queues = list("queues", "queue");
  const reasons = list("reasons", "reason");
  if (names) filter.jobNames = names;
  if (queues) filter.queues = queues;
  if (reasons) filter.reasons = reasons;
  return filter;
}

/** Dense buckets from `since` (oldest first) with a failure rate: dead-lettered / (done + dead-lettered). */
export function denseTimeline(sparse: TimelineBucket[], since: Date, bucketSeconds: number, count: number) {
  const byStart = new Map(sparse.map((b) => [b.start.getTime(), b]));
  const out = [];
  for (let i = 0; i < count; i++) {
    const start = new Date(since.getTime() + i * bucketSeconds * 1000);
    const b = byStart.get(start.getTime());
    const enqueued = b?.enqueued ?? 0;
    const completed = b?.completed ?? 0;
    const deadLettered = b?.deadLettered ?? 0;
    const finished = completed + deadLettered;
    out.push({ start, enqueued, completed, deadLettered, failureRate: finished ? deadLettered / finished : null });
  }
  return out;
}

export async function timeline(app: Soniq, windowSeconds: number, buckets: number) {
  const bucketSeconds = windowSeconds / buckets;
  const bucketMs = bucketSeconds * 1000;
  const end = Math.ceil(Date.now() / bucketMs) * bucketMs;
  const since = new Date(end - buckets * bucketMs);
  const sparse = await (await backend(app)).jobTimeline({ since, bucketSeconds });
  const points = denseTimeline(sparse, since, bucketSeconds, buckets);
  const totals = points.reduce(
    (t, p) => ({ enqueued: t.enqueued + p.enqueued, completed: t.completed + p.completed, deadLettered: t.deadLettered + p.deadLettered }),
    { enqueued: 0, completed: 0, deadLettered: 0 },
  );
  const finished = totals.completed + totals.deadLettered;
  return {
    since,
    until: new Date(end),
    windowSeconds,
    bucketSeconds,
    totals: { ...totals, failureRate: finished ? totals.deadLettered / finished : null },
    buckets: points,
  };
}

async function health(app: Soniq) {
  const started = performance.now();
  try {
    const b = await backend(app);
    const [stats, queues, workers] = await Promise.all([b.getQueueStats(), b.getQueueBreakdown(), b.listWorkers()]);
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    const hour = await timeline(app, 3600, 1);
    const views = workers.map((w) => workerView(w, app.settings));
    const oldest = queues.reduce<number | null>((m, q) => (q.oldestQueuedAgeSeconds !== null && (m === null || q.oldestQueuedAgeSeconds > m) ? q.oldestQueuedAgeSeconds : m), null);
    const errorRate = hour.totals.failureRate ?? 0;
    const problems: string[] = [];
    if (stats.queued > 1000) problems.push("backlog over 1000 jobs");
    if (errorRate > 0.1) problems.push("more than 10% of jobs finished in the last hour were dead-lettered");
    if (views.some((w) => w.stale)) problems.push("stale workers");
    return {
      status: problems.length ? "degraded" : "healthy",
      problems,
      database: { healthy: true, backend: b.kind, latencyMs },
      backlog: stats.queued,
      oldestQueuedAgeSeconds: oldest,
      processing: stats.processing,
      deadLetter: stats.dead_letter,
      lastHour: hour.totals,
      workers: { active: views.filter((w) => w.state === "active").length, stale: views.filter((w) => w.stale).length },
      timestamp: new Date(),
    };
  } catch (error) {
    app.logger.warn("dashboard health check failed", { error });
    return {
      status: "unhealthy",
      problems: ["database unreachable"],
      database: { healthy: false, backend: app.backend.kind, error: error instanceof Error ? error.message : String(error) },
      timestamp: new Date(),
    };
  }
}

// ------------------------------------------------------------------ routes

type Handler = (ctx: ApiContext) => Promise<unknown>;
interface Route {
  method: "GET" | "POST" | "DELETE";
  /** Segments; `:x` matches one segment. */
  pattern: string[];
  write: boolean;
  handler: Handler;
}

const routes: Route[] = [];
function route(method: Route["method"], path: string, handler: Handler, write = method !== "GET"): void {
  routes.push({ method, pattern: path.split("/").filter(Boolean), write, handler });
}

route("GET", "health", async ({ app }) => {
  const result = await health(app);
  return { ...result, [STATUS]: result.status === "unhealthy" ? 503 : 200 };
});

route("GET", "stats", async ({ app }) => (await backend(app)).getQueueStats());

route("GET", "queues", async ({ app }) => {
  const b = await backend(app);
  const [queues, dlq] = await Promise.all([b.getQueueBreakdown(), b.deadLetterStats()]);
  const names = new Set([...queues.map((q) => q.queue), ...Object.keys(dlq.byQueue)]);
  const byName = new Map(queues.map((q) => [q.queue, q]));
  return {
    queues: [...names].sort().map((name) => {
      const q = byName.get(name) ?? { queue: name, queued: 0, processing: 0, done: 0, cancelled: 0, oldestQueuedAgeSeconds: null };
      const deadLetter = dlq.byQueue[name] ?? 0;
      return { ...q, deadLetter, total: q.queued + q.processing + q.done + q.cancelled + deadLetter };
    }),
  };
});

route("GET", "timeline", async ({ app, url }) => {
  const windowSeconds = intParam(url, "window", 3600, 60, 31 * 86_400);
  const buckets = intParam(url, "buckets", 60, 1, 500);
  return timeline(app, windowSeconds, buckets);
});

route("GET", "jobs", async ({ app, url }) => {
  const limit = intParam(url, "limit", 50, 1, MAX_PAGE);
  const offset = intParam(url, "offset", 0, 0, Number.MAX_SAFE_INTEGER);
  const filter = {
    queue: textParam(url, "queue"),
    status: statusParam(url),
    jobName: textParam(url, "job_name", "name"),
    search: textParam(url, "q", "query", "search"),
    limit,
    offset,
  };
  const { jobs, total } = await (await backend(app)).searchJobs(filter);
  return { jobs: jobs.map(jobView), total, limit, offset, hasMore: offset + jobs.length < total };
});

route("GET", "jobs/:id", async ({ app, parts }) => {
  const b = await backend(app);
  const job = await b.getJob(parts[1]!);
  if (job) return { kind: "job", job: jobView(job) };
  const dead = await b.getDeadLetter(parts[1]!);
  if (dead) return { kind: "dead_letter", deadLetter: deadLetterView(dead) };
  throw new HttpError(404, "no such job");
});

route("POST", "jobs/:id/cancel", async ({ app, parts }) => {
  const b = await backend(app);
  if (!(await b.getJob(parts[1]!))) throw new HttpError(404, "no such job");
  const cancelled = await b.cancelJob(parts[1]!);
  if (!cancelled) throw new HttpError(409, "only queued jobs can be cancelled");
  return { cancelled: true };
});

route("DELETE", "jobs/:id", async ({ app, parts }) => {
  const deleted = await (await backend(app)).deleteJob(parts[1]!);
  if (!deleted) throw new HttpError(404, "no such job");
  return { deleted: true };
});

route("GET", "dead-letter", async ({ app, url }) => {
  const limit = intParam(url, "limit", 50, 1, MAX_PAGE);
  const offset = intParam(url, "offset", 0, 0, Number.MAX_SAFE_INTEGER);
  const filter = dlqFilter(url);
  const b = await backend(app);
  const [items, total] = await Promise.all([b.listDeadLetters({ ...filter, limit, offset }), b.countDeadLetters(filter)]);
  return { items: items.map(deadLetterView), total, limit, offset, hasMore: offset + items.length < total };
});

route("GET", "dead-letter/stats", async ({ app }) => (await backend(app)).deadLetterStats());

route("POST", "dead-letter/replay", async ({ app, req }) => {
  const body = await jsonBody(req);
  let ids: string[];
  if (body.ids !== undefined) {
    if (!Array.isArray(body.ids) || !body.ids.every((x) => typeof x === "string" && x.length <= 100)) throw new HttpError(400, "ids must be a list of job ids");
    if (body.ids.length > MAX_BULK) throw new HttpError(400, `at most ${MAX_BULK} ids at once`);
    ids = body.ids as string[];
  } else if (body.filter !== undefined) {
    const filter = bodyFilter(body.filter);
    ids = (await app.deadLetter.list({ ...filter, limit: MAX_BULK })).map((r) => r.id);
  } else {
    throw new HttpError(400, 'send {"ids": [...]} or {"filter": {"queue", "jobName", "reason"}}');
  }
  const jobIds = await app.deadLetter.replayMany(ids);
  return { requested: ids.length, replayed: jobIds.length, jobIds };
});

route("GET", "dead-letter/:id", async ({ app, parts }) => {
  const row = await app.deadLetter.get(parts[1]!);
  if (!row) throw new HttpError(404, "no such dead-letter job");
  return { deadLetter: deadLetterView(row) };
});

route("POST", "dead-letter/:id/replay", async ({ app, parts }) => {
  const jobId = await app.deadLetter.replay(parts[1]!);
  if (!jobId) throw new HttpError(404, "no such dead-letter job");
  return { jobId };
});

route("DELETE", "dead-letter/:id", async ({ app, parts }) => {
  if (!(await app.deadLetter.delete(parts[1]!))) throw new HttpError(404, "no such dead-letter job");
  return { deleted: true };
});

route("GET", "workers", async ({ app, url }) => {
  const all = url.searchParams.get("all") === "true";
  const timeout = app.settings.heartbeatTimeout;
  const rows = (await (await backend(app)).listWorkers()).map((w) => workerView(w, app.settings));
  const workers = all ? rows : rows.filter((w) => w.status !== "stopped");
  return {
    heartbeatTimeout: timeout,
    summary: {
      active: rows.filter((w) => w.state === "active").length,
      stale: rows.filter((w) => w.stale).length,
      stopping: rows.filter((w) => w.status === "stopping").length,
      stopped: rows.filter((w) => w.status === "stopped").length,
      concurrency: rows.filter((w) => w.state === "active").reduce((n, w) => n + w.concurrency, 0),
    },
    workers,
  };
});

route("GET", "schedules", async ({ app, url }) => {
  const status = textParam(url, "status");
  if (status !== undefined && status !== "active" && status !== "paused") throw new HttpError(400, "status must be active or paused");
  return { schedules: (await (await backend(app)).listSchedules(status as "active" | "paused" | undefined)).map(scheduleView) };
});

route("POST", "schedules/:name/pause", async ({ app, parts }) => {
  if (!(await (await backend(app)).setScheduleStatus(parts[1]!, "paused"))) throw new HttpError(404, "no such schedule");
  return { status: "paused" };
});

route("POST", "schedules/:name/resume", async ({ app, parts }) => {
  if (!(await (await backend(app)).setScheduleStatus(parts[1]!, "active"))) throw new HttpError(404, "no such schedule");
  return { status: "active" };
});

route("POST", "schedules/:name/trigger", async ({ app, parts }) => {
  const b = await backend(app);
  const schedule = await b.getSchedule(parts[1]!);
  if (!schedule) throw new HttpError(404, "no such schedule");
  // Enqueue by name, as the scheduler would, without touching next_run or the run history.
  // No handler needs to be registered in the dashboard's process.
  const job: NewJob = {
    id: Bun.randomUUIDv7(),
    jobName: schedule.name,
    argsJson: JSON.stringify(schedule.args ?? {}),
    argsHash: null,
    maxAttempts: schedule.maxAttempts,
    queue: schedule.queue,
    priority: schedule.priority,
    uniqueJob: false,
    dedupKey: null,
    scheduledAt: null,
    producerId: "soniq-dashboard",
  };
  const [jobId] = await b.insertJobs([job]);
  return { jobId };
});

/** Find the route for a method and the segments after `/api/`. 404/405 as HttpError. */
export function matchRoute(method: string, parts: string[]): RouteMatch {
  // Routes are tried in registration order: literal paths ("dead-letter/stats") come before "dead-letter/:id".
  let pathMatched = false;
  for (const r of routes) {
    if (r.pattern.length !== parts.length) continue;
    if (!r.pattern.every((seg, i) => seg.startsWith(":") || seg === parts[i])) continue;
    pathMatched = true;
    if (r.method === method || (method === "HEAD" && r.method === "GET")) return { write: r.write, run: r.handler };
  }
  if (pathMatched) throw new HttpError(405, "method not allowed");
  throw new HttpError(404, "no such API route");
}

/** Map a thrown error to a status and a message safe to show. */
export function errorStatus(error: unknown): { status: number; message: string } {
  if (error instanceof HttpError) return { status: error.status, message: error.message };
  if (isSoniqError(error, ErrorCodes.INVALID_ARGUMENT) || isSoniqError(error, ErrorCodes.VALIDATION_FAILED)) return { status: 400, message: error.message };
  if (isSoniqError(error, ErrorCodes.NOT_FOUND)) return { status: 404, message: (error as SoniqError).message };
  return { status: 500, message: "internal error (see the server log)" };
}

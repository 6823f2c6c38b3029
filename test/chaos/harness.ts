import type { Subprocess } from "bun";
import { join } from "node:path";
import postgres from "postgres";

const WORKER = join(import.meta.dir, "..", "fixtures", "chaos", "worker.ts");

export interface ChaosWorker {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  ready: Promise<void>;
}

/**
 * The chaos worker's settings (test/fixtures/chaos/worker.ts reads them from CHAOS_* variables).
 * Kept here, in one place, because the duplicate bound below is computed from them.
 */
export const CHAOS_WORKER = {
  concurrency: 10,
  prefetch: 10,
  /** Outcomes per write; also sets how many unwritten outcomes a worker may hold (see below). */
  completionBatchSize: 20,
  heartbeatTimeout: 2,
} as const;

export type ChaosWorkerSettings = { concurrency: number; prefetch: number; completionBatchSize: number };

/**
 * The most handler executions one `kill -9` of a worker with these settings can cause beyond the
 * handlers' own decisions. Only a job whose handler started in the killed process and whose
 * outcome was not yet committed runs again (a claimed job that never started runs for its first
 * time; a committed outcome is final). The worker (src/worker/worker.ts) claims only while
 * `running + buffered < concurrency + prefetch` and while fewer than
 * `backlogLimit = max(completionBatchSize, concurrency + prefetch)` outcomes wait to be written,
 * and a claim fills at most the free slots. So right after any claim it holds at most
 * `concurrency + prefetch` jobs not yet finished plus `backlogLimit - 1` unwritten outcomes, and
 * until the next claim that number only goes down. Each such job runs again at most once per kill.
 */
export function maxDuplicatesPerKill(s: ChaosWorkerSettings): number {
  const backlogLimit = Math.max(s.completionBatchSize, s.concurrency + s.prefetch);
  return s.concurrency + s.prefetch + backlogLimit - 1;
}

const live = new Set<Subprocess>();

/** SIGKILL every chaos worker still running: a failed test must not leave workers behind (afterEach). */
export function killStrayWorkers(): void {
  for (const proc of live) proc.kill("SIGKILL");
}

export function spawnWorker(url: string, env: Record<string, string> = {}): ChaosWorker {
  const defaults = {
    CHAOS_CONCURRENCY: String(CHAOS_WORKER.concurrency),
    CHAOS_PREFETCH: String(CHAOS_WORKER.prefetch),
    CHAOS_COMPLETION_BATCH: String(CHAOS_WORKER.completionBatchSize),
    CHAOS_HEARTBEAT_TIMEOUT: String(CHAOS_WORKER.heartbeatTimeout),
  };
  const proc = Bun.spawn(["bun", WORKER], {
    env: { ...process.env, SONIQ_DATABASE_URL: url, ...defaults, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  const ready = (async () => {
    const reader = proc.stdout.getReader();
    let text = "";
    while (!text.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`worker exited before ready: ${await new Response(proc.stderr).text()}`);
      text += new TextDecoder().decode(value);
    }
    reader.releaseLock();
  })();
  return { proc, ready };
}

export async function createRunsTable(url: string): Promise<postgres.Sql> {
  const sql = postgres(url, { max: 4, onnotice: () => {} });
  await sql.unsafe("CREATE TABLE IF NOT EXISTS chaos_runs (job_id uuid NOT NULL, attempt int NOT NULL, at timestamptz DEFAULT now())");
  return sql;
}

export interface Verdict {
  committed: number;
  done: number;
  deadLettered: number;
  lost: string[];
  wrongOutcome: string[];
  stillProcessing: number;
  executions: number;
  /** Executions beyond what the handlers asked for, net (a job claimed but never started before a kill counts -1). */
  duplicates: number;
  /** Executions beyond what the handlers asked for, summed per job over jobs that ran too often only. */
  extraExecutions: number;
  /** Committed jobs that ended done without their handler ever running (done means it ran and returned). */
  neverRan: string[];
}

/**
 * Every committed job must be done (chaos.work) or dead-lettered (chaos.fail), none lost or left
 * processing. Duplicates = executions beyond what the handlers asked for (crash windows).
 */
export async function verdict(sql: postgres.Sql, committed: Map<string, "work" | "fail">): Promise<Verdict> {
  const ids = [...committed.keys()];
  const done = new Set((await sql.unsafe("SELECT id FROM soniq_jobs WHERE status = 'done'")).map((r) => r.id as string));
  const deadRows = await sql.unsafe("SELECT id, max_attempts FROM soniq_dead_letter_jobs");
  const dead = new Set(deadRows.map((r) => r.id as string));
  // A failing job runs max_attempts times (fixed at enqueue: the producer does not know the
  // consumer's retries, so it stores settings.maxRetries + 1).
  const failRuns = new Map(deadRows.map((r) => [r.id as string, r.max_attempts as number]));
  const [{ processing }] = (await sql.unsafe("SELECT count(*)::int AS processing FROM soniq_jobs WHERE status IN ('processing', 'queued')")) as any;
  const runs = await sql.unsafe("SELECT job_id, count(*)::int AS n FROM chaos_runs GROUP BY job_id");
  const runsOf = new Map(runs.map((r) => [r.job_id as string, r.n as number]));
  const executions = runs.reduce((a, r) => a + (r.n as number), 0);
  const expectedOf = (id: string) => (committed.get(id) === "fail" ? (failRuns.get(id) ?? 0) : 1);
  const expected = ids.reduce((a, id) => a + expectedOf(id), 0);
  return {
    committed: ids.length,
    done: ids.filter((id) => done.has(id)).length,
    deadLettered: ids.filter((id) => dead.has(id)).length,
    lost: ids.filter((id) => !done.has(id) && !dead.has(id)),
    wrongOutcome: ids.filter((id) => (committed.get(id) === "fail" ? !dead.has(id) : !done.has(id))),
    stillProcessing: processing,
    executions,
    duplicates: executions - expected,
    extraExecutions: ids.reduce((a, id) => a + Math.max(0, (runsOf.get(id) ?? 0) - expectedOf(id)), 0),
    neverRan: ids.filter((id) => done.has(id) && !runsOf.has(id)),
  };
}

export async function waitUntilDrained(sql: postgres.Sql, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [{ n }] = (await sql.unsafe("SELECT count(*)::int AS n FROM soniq_jobs WHERE status IN ('queued', 'processing')")) as any;
    if (n === 0) return;
    if (Date.now() > deadline) throw new Error(`${n} jobs still queued or processing after ${timeoutMs} ms`);
    await Bun.sleep(200);
  }
}

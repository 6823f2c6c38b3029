import type { Subprocess } from "bun";
import { join } from "node:path";
import postgres from "postgres";

const WORKER = join(import.meta.dir, "..", "fixtures", "chaos", "worker.ts");

export interface ChaosWorker {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  ready: Promise<void>;
}

export function spawnWorker(url: string, env: Record<string, string> = {}): ChaosWorker {
  const proc = Bun.spawn(["bun", WORKER], {
    env: { ...process.env, SONIQ_DATABASE_URL: url, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
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
  duplicates: number;
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
  const executions = runs.reduce((a, r) => a + (r.n as number), 0);
  const expected = ids.reduce((a, id) => a + (committed.get(id) === "fail" ? (failRuns.get(id) ?? 0) : 1), 0);
  return {
    committed: ids.length,
    done: ids.filter((id) => done.has(id)).length,
    deadLettered: ids.filter((id) => dead.has(id)).length,
    lost: ids.filter((id) => !done.has(id) && !dead.has(id)),
    wrongOutcome: ids.filter((id) => (committed.get(id) === "fail" ? !dead.has(id) : !done.has(id))),
    stillProcessing: processing,
    executions,
    duplicates: executions - expected,
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

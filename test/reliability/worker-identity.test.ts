/**
 * Two live workers with the same hostname and pid (containers with host networking or a fixed
 * `hostname:`, each process pid 1) never take each other's jobs: the second registers under
 * another hostname instead of taking over the first one's row.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import postgres from "postgres";
import { Soniq } from "../../src/index.ts";
import { freshDatabase, waitFor } from "../helpers/db.ts";

const FIXTURE = join(import.meta.dir, "../fixtures/pid-one-worker.ts");

function spawnPidOne(url: string) {
  const proc = Bun.spawn(["bun", FIXTURE], { env: { ...process.env, SONIQ_DATABASE_URL: url, SLOW_MS: "1500" }, stdout: "pipe", stderr: "inherit" });
  return proc;
}

test("a second live worker with the same hostname and pid does not requeue the first one's running job", async () => {
  const url = await freshDatabase();
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  await sql`CREATE TABLE ident_runs (job_id uuid, worker_id uuid, attempt int)`;
  const app = new Soniq({ databaseUrl: url, logLevel: "silent", enqueueValidation: "none" });
  const first = spawnPidOne(url);
  try {
    const id = await app.enqueue("ident.slow", {});
    await waitFor(async () => (await sql`SELECT 1 FROM ident_runs WHERE job_id = ${id}`).length === 1, { message: "first run" });
    const second = spawnPidOne(url);
    try {
      await waitFor(async () => (await app.listWorkers()).filter((w) => w.status === "active").length === 2, { message: "second worker" });
      const workers = await app.listWorkers();
      expect(new Set(workers.map((w) => w.pid))).toEqual(new Set([1]));
      expect(new Set(workers.map((w) => w.hostname)).size).toBe(2);
      expect(new Set(workers.map((w) => w.id)).size).toBe(2);
      await waitFor(async () => (await app.getJob(id))?.status === "done", { message: "job done" });
      const runs = await sql`SELECT worker_id, attempt FROM ident_runs WHERE job_id = ${id}`;
      expect(runs.length).toBe(1);
      expect((await app.getJob(id))!.attempts).toBe(1);
    } finally {
      second.kill("SIGTERM");
      await second.exited;
    }
  } finally {
    first.kill("SIGTERM");
    await first.exited;
    await app.close();
    await sql.end();
  }
}, 60_000);

/**
 * Stale-job rescue: a worker killed mid-job has its job run again by another worker, exactly once
 * more, and never before the killed worker's heartbeat went stale. How fast the rescue comes is a
 * measurement, not a test: `bun run bench rescue` (bench/scenarios.ts).
 */
import { afterEach, expect, test } from "bun:test";
import { Soniq } from "../../src/index.ts";
import { freshDatabase, waitFor } from "../helpers/db.ts";
import { createRunsTable, killStrayWorkers, spawnWorker } from "./harness.ts";

afterEach(killStrayWorkers);

test("a killed worker's job runs again on another worker, and not before its heartbeat went stale", async () => {
  const heartbeatTimeout = 2;
  const url = await freshDatabase();
  const sql = await createRunsTable(url);
  const app = new Soniq({ databaseUrl: url, logLevel: "silent", enqueueValidation: "none" });
  const victim = spawnWorker(url, { CHAOS_WORK_MS: "60000", CHAOS_HEARTBEAT_TIMEOUT: String(heartbeatTimeout) });
  await victim.ready;
  const id = await app.enqueue("chaos.work", { i: 1 });
  await waitFor(async () => (await sql.unsafe("SELECT 1 FROM chaos_runs WHERE job_id = $1", [id])).length === 1, { message: "first run" });
  const owner = (await app.getJob(id))!.workerId!;
  victim.proc.kill("SIGKILL");
  await victim.proc.exited;
  const rescuer = spawnWorker(url, { CHAOS_WORK_MS: "1", CHAOS_HEARTBEAT_TIMEOUT: String(heartbeatTimeout) });
  await rescuer.ready;
  await waitFor(async () => (await app.getJob(id))?.status === "done", { timeout: 45_000, message: "rescued job to finish" });

  // Both instants come from the database clock: the victim's last heartbeat, and the second run's
  // start (recorded by the handler). Rescue needs last_heartbeat < now() - heartbeatTimeout, and the
  // second run starts after the rescue committed, so the gap is at least heartbeatTimeout. The
  // 10 ms margin only absorbs timestamp rounding.
  const [row] = await sql.unsafe(
    `SELECT extract(epoch FROM (SELECT max(at) FROM chaos_runs WHERE job_id = $1) - w.last_heartbeat)::float8 AS stale_for,
            (SELECT count(*)::int FROM chaos_runs WHERE job_id = $1) AS runs
     FROM soniq_workers w WHERE w.id = $2`,
    [id, owner],
  );
  expect(row).toBeDefined();
  console.log(`rescue: the second run started ${Number(row!.stale_for).toFixed(2)} s after the victim's last heartbeat (heartbeatTimeout ${heartbeatTimeout} s)`);
  expect(row!.stale_for).toBeGreaterThanOrEqual(heartbeatTimeout - 0.01); // not rescued while the heartbeat was fresh
  expect(row!.runs).toBe(2); // the killed run and the rescued one, nothing more
  expect((await app.getJob(id))!.attempts).toBe(2);
  rescuer.proc.kill("SIGTERM");
  expect(await rescuer.proc.exited).toBe(0);
  await app.close();
  await sql.end();
}, 60_000);

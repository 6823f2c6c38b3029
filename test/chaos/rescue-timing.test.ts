/**
 * Stale-job rescue timing: a worker killed mid-job has its job run again by another worker within
 * heartbeatTimeout + cleanupInterval (plus scheduling slack), and not before heartbeatTimeout.
 */
import { expect, test } from "bun:test";
import { Soniq } from "../../src/index.ts";
import { freshDatabase, waitFor } from "../helpers/db.ts";
import { createRunsTable, spawnWorker } from "./harness.ts";

test("a killed worker's job runs again within heartbeatTimeout + cleanupInterval", async () => {
  const heartbeatTimeout = 2;
  const cleanupInterval = 0.5;
  const url = await freshDatabase();
  const sql = await createRunsTable(url);
  const app = new Soniq({ databaseUrl: url, logLevel: "silent", enqueueValidation: "none" });
  const victim = spawnWorker(url, { CHAOS_WORK_MS: "60000", CHAOS_HEARTBEAT_TIMEOUT: String(heartbeatTimeout) });
  await victim.ready;
  const id = await app.enqueue("chaos.work", { i: 1 });
  await waitFor(async () => (await sql.unsafe("SELECT 1 FROM chaos_runs WHERE job_id = $1", [id])).length === 1, { message: "first run" });
  victim.proc.kill("SIGKILL");
  const killedAt = Date.now();
  const rescuer = spawnWorker(url, { CHAOS_WORK_MS: "1", CHAOS_HEARTBEAT_TIMEOUT: String(heartbeatTimeout) });
  await rescuer.ready;
  await waitFor(async () => (await app.getJob(id))?.status === "done", { timeout: 20_000, message: "rescued job to finish" });
  const seconds = (Date.now() - killedAt) / 1000;
  console.log(`rescue timing: job done ${seconds.toFixed(2)} s after kill -9 (heartbeatTimeout ${heartbeatTimeout} s + cleanupInterval ${cleanupInterval} s)`);
  expect(seconds).toBeGreaterThanOrEqual(heartbeatTimeout - 0.5); // not rescued while the heartbeat was fresh
  expect(seconds).toBeLessThan(heartbeatTimeout + cleanupInterval + 3); // + process start and scheduling slack
  expect((await app.getJob(id))!.attempts).toBe(2);
  rescuer.proc.kill("SIGTERM");
  expect(await rescuer.proc.exited).toBe(0);
  await app.close();
  await sql.end();
}, 60_000);

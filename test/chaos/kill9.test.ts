/**
 * kill -9 worker processes at random moments while 10,000 jobs flow (enqueue and work at the same
 * time, batching on). Every committed job must end done or dead-lettered exactly as its handler
 * decided; none lost, none left processing; duplicates only from crash windows, and no more than
 * the killed workers can have held (harness.ts: maxDuplicatesPerKill).
 */
import { afterEach, expect, test } from "bun:test";
import { Soniq } from "../../src/index.ts";
import { freshDatabase } from "../helpers/db.ts";
import { CHAOS_WORKER, createRunsTable, killStrayWorkers, maxDuplicatesPerKill, spawnWorker, verdict, waitUntilDrained, type ChaosWorker } from "./harness.ts";

afterEach(killStrayWorkers);

const JOBS = Number(process.env.SONIQ_CHAOS_JOBS ?? 10_000);

test(`kill -9 workers while ${JOBS} jobs flow: nothing lost`, async () => {
  const url = await freshDatabase();
  const sql = await createRunsTable(url);
  const producer = new Soniq({ databaseUrl: url, logLevel: "silent", enqueueValidation: "none" });
  const workers: ChaosWorker[] = Array.from({ length: 3 }, () => spawnWorker(url));
  await Promise.all(workers.map((w) => w.ready));

  const committed = new Map<string, "work" | "fail">();
  let kills = 0;
  let producing = true;
  const killer = (async () => {
    while (producing) {
      await Bun.sleep(300 + Math.random() * 600);
      const victim = Math.floor(Math.random() * workers.length);
      // Only a worker that is up (a replacement may still be starting): its `ready` must not reject unobserved.
      await workers[victim]!.ready;
      workers[victim]!.proc.kill("SIGKILL");
      kills++;
      workers[victim] = spawnWorker(url);
    }
  })();

  const batch = 50;
  for (let i = 0; i < JOBS; i += batch) {
    const rows = Array.from({ length: Math.min(batch, JOBS - i) }, (_, k) => i + k);
    const work = rows.filter((n) => n % 25 !== 0).map((n) => ({ i: n }));
    const fail = rows.filter((n) => n % 25 === 0).map((n) => ({ i: n }));
    for (const id of await producer.enqueueMany("chaos.work", work)) committed.set(id, "work");
    if (fail.length) for (const id of await producer.enqueueMany("chaos.fail", fail)) committed.set(id, "fail");
    await Bun.sleep(30);
  }
  await Bun.sleep(1500);
  producing = false;
  await killer;
  await Promise.all(workers.map((w) => w.ready));

  await waitUntilDrained(sql, 90_000);
  for (const w of workers) w.proc.kill("SIGTERM");
  const codes = await Promise.all(workers.map((w) => w.proc.exited));

  const v = await verdict(sql, committed);
  // Every execution beyond the handlers' decisions comes from a job a killed worker held.
  const bound = kills * maxDuplicatesPerKill(CHAOS_WORKER);
  console.log(
    `chaos kill -9: ${v.committed} jobs committed, ${kills} workers killed, ${v.done} done, ${v.deadLettered} dead-lettered, ` +
      `lost ${v.lost.length}, wrong outcome ${v.wrongOutcome.length}, left processing ${v.stillProcessing}, ` +
      `${v.executions} handler executions (${v.duplicates} net duplicates, ${v.extraExecutions} extra executions from crash windows; bound ${bound})`,
  );
  expect(kills).toBeGreaterThan(0); // the premise: at least one worker died mid-flow
  expect(v.extraExecutions).toBeLessThanOrEqual(bound);
  expect(v.neverRan).toEqual([]);
  expect(v.lost).toEqual([]);
  expect(v.wrongOutcome).toEqual([]);
  expect(v.stillProcessing).toBe(0);
  expect(v.committed).toBe(JOBS);
  expect(codes).toEqual(codes.map(() => 0));
  await producer.close();
  await sql.end();
}, 180_000);

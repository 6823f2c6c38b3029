import { expect, test } from "bun:test";
import { MemoryBackend } from "../../src/backends/memory/index.ts";
import { backendSuite, job } from "./backend-suite.ts";

backendSuite("memory", async () => new MemoryBackend(), (b) => b.close());

test("memory: capabilities and kind", () => {
  const b = new MemoryBackend();
  expect(b.kind).toBe("memory");
  expect(b.capabilities).toEqual({ transactionalEnqueue: false, pushNotify: false, advisoryLocks: false, multiProcess: false });
});

test("memory: claim index agrees with a full sort under random churn", async () => {
  const b = new MemoryBackend();
  const now = Date.now();
  const queues = ["a", "b", "c"];
  const jobs = Array.from({ length: 600 }, (_, i) =>
    job({
      queue: queues[i % 3]!,
      priority: [1, 5, 5, 100][i % 4]!,
      // A third are in the past (due, sorted by run time), a tenth in the future (never due here).
      scheduledAt: i % 3 === 0 ? new Date(now - 10_000 + ((i * 7919) % 5000)) : i % 10 === 1 ? new Date(now + 60_000) : null,
    }),
  );
  await b.insertJobs(jobs);
  // Cancel and delete some so the index must skip stale entries.
  for (const j of jobs.filter((_, i) => i % 7 === 0)) await b.cancelJob(j.id);
  for (const j of jobs.filter((_, i) => i % 11 === 0)) await b.deleteJob(j.id);

  const queued = (await b.listJobs({ status: "queued", limit: 10_000 })).filter((r) => (r.scheduledAt ?? r.createdAt).getTime() <= Date.now());
  const order = (wanted: string[] | null) =>
    queued
      .filter((r) => wanted === null || wanted.includes(r.queue))
      .sort((x, y) => x.priority - y.priority || (x.scheduledAt ?? x.createdAt).getTime() - (y.scheduledAt ?? y.createdAt).getTime() || (x.id < y.id ? -1 : 1))
      .map((r) => r.id);

  const expectedBC = order(["b", "c"]);
  const claimedBC: string[] = [];
  for (let batch = await b.claimJobs("w", ["b", "c"], 7); batch.length; batch = await b.claimJobs("w", ["b", "c"], 7)) claimedBC.push(...batch.map((j) => j.id));
  expect(claimedBC).toEqual(expectedBC);

  const expectedRest = order(["a"]);
  const rest = (await b.claimJobs("w", null, 10_000)).map((j) => j.id);
  expect(rest).toEqual(expectedRest);
});

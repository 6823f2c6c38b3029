/**
 * A unique or dedup job that goes back to queued (retry, nack, stale rescue, worker takeover) while
 * an identical twin is queued gives up its dedup claim instead of colliding with the twin's partial
 * unique index: both run, the twin keeps the claim, nothing is lost and nothing raises. Driven
 * through the backend methods so every backend is held to the same statements.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Soniq } from "../../src/index.ts";
import type { JobRecord, NewJob } from "../../src/backends/types.ts";
import { job } from "../unit/backend-suite.ts";
import { BACKENDS, contractApp } from "./backends.ts";

/** A NewJob (the shared builder of the backend suite) under one task name. */
function newJob(overrides: Partial<NewJob> = {}): NewJob {
  return job({ jobName: "dedup.requeue", ...overrides });
}

const KINDS = [
  { kind: "unique", make: () => newJob({ uniqueJob: true, argsHash: "same-args" }), holds: (r: JobRecord) => r.uniqueJob, released: { uniqueJob: false } },
  { kind: "dedup", make: () => newJob({ dedupKey: "same-key" }), holds: (r: JobRecord) => r.dedupKey === "same-key", released: { dedupKey: null } },
] as const;

describe.each(BACKENDS)("dedup requeue contract: $name", (backend) => {
  let app: Soniq;
  afterEach(async () => {
    await app?.close();
  });

  /** A registered worker (Postgres: claims reference soniq_workers) that has claimed one fresh job. */
  async function claimed(job: NewJob) {
    app = await contractApp(backend);
    const b = app.backend;
    const hostname = `host-${Bun.randomUUIDv7()}`;
    const workerId = (await b.registerWorker({ id: Bun.randomUUIDv7(), hostname, pid: 1, queues: [], concurrency: 1, version: "t", metadata: {} }, 0))!;
    expect(await b.insertJobs([job])).toEqual([job.id]);
    expect((await b.claimJobs(workerId, null, 10)).map((j) => j.id)).toEqual([job.id]);
    return { b, workerId, hostname };
  }

  const REQUEUES = [
    {
      how: "retry",
      requeue: async ({ b, workerId }: Awaited<ReturnType<typeof claimed>>, id: string) => {
        await b.applyOutcomes(workerId, [{ kind: "retry", id, attempts: 1, error: "again", delaySeconds: 0 }], 60);
      },
    },
    {
      how: "nack",
      requeue: async ({ b, workerId }: Awaited<ReturnType<typeof claimed>>, id: string) => {
        expect(await b.nackJobs(workerId, [id])).toBe(1);
      },
    },
    {
      how: "stale rescue",
      requeue: async ({ b, workerId }: Awaited<ReturnType<typeof claimed>>) => {
        await b.markWorkerStopped(workerId);
        expect(await b.rescueStaleWorkers(3600)).toEqual({ workers: 0, jobs: 1 });
      },
    },
    {
      how: "worker takeover",
      requeue: async ({ b, workerId, hostname }: Awaited<ReturnType<typeof claimed>>) => {
        const again = (await b.registerWorker({ id: Bun.randomUUIDv7(), hostname, pid: 1, queues: [], concurrency: 1, version: "t", metadata: {} }, 0))!;
        expect(again).toBe(workerId);
      },
    },
  ] as const;

  for (const { kind, make, holds, released } of KINDS) {
    for (const { how, requeue } of REQUEUES) {
      test(`${how} of a ${kind} job whose twin is queued: requeued without the claim, the twin keeps it`, async () => {
        const original = make();
        const ctx = await claimed(original);
        const { b } = ctx;
        const twin = make();
        expect(await b.insertJobs([twin])).toEqual([twin.id]);

        await requeue(ctx, original.id);

        expect(await b.getJob(original.id)).toMatchObject({ status: "queued", workerId: null, attempts: 1, ...released });
        const kept = (await b.getJob(twin.id))!;
        expect(kept.status).toBe("queued");
        expect(holds(kept)).toBe(true);
        expect(await b.insertJobs([make()])).toEqual([twin.id]);
        // Both run: nothing was lost.
        const other = (await b.registerWorker({ id: Bun.randomUUIDv7(), hostname: "other", pid: 2, queues: [], concurrency: 1, version: "t", metadata: {} }, 0))!;
        expect((await b.claimJobs(other, null, 10)).map((j) => j.id).sort()).toEqual([original.id, twin.id].sort());
      });
    }

    test(`of ${kind} jobs requeued together under one key, only the lowest id keeps the claim`, async () => {
      const first = make();
      const { b, workerId } = await claimed(first);
      const second = make();
      expect(await b.insertJobs([second])).toEqual([second.id]);
      expect((await b.claimJobs(workerId, null, 10)).map((j) => j.id)).toEqual([second.id]);
      const [low, high] = [first.id, second.id].sort() as [string, string];

      expect(await b.nackJobs(workerId, [high, low])).toBe(2);

      expect(holds((await b.getJob(low))!)).toBe(true);
      expect(await b.getJob(high)).toMatchObject({ status: "queued", ...released });
      expect(await b.insertJobs([make()])).toEqual([low]);
    });
  }

  test("a job that already gave up its unique claim never takes it from a still-unique twin", async () => {
    const make = KINDS[0].make;
    const original = make();
    const { b, workerId } = await claimed(original);
    const twin = make();
    await b.insertJobs([twin]);
    await b.nackJobs(workerId, [original.id]); // original is requeued without the claim
    expect((await b.claimJobs(workerId, null, 10)).map((j) => j.id).sort()).toEqual([original.id, twin.id].sort());
    await b.applyOutcomes(workerId, [
      { kind: "retry", id: original.id, attempts: 2, error: "x", delaySeconds: 0 },
      { kind: "retry", id: twin.id, attempts: 1, error: "x", delaySeconds: 0 },
    ], 60);
    expect((await b.getJob(twin.id))!.uniqueJob).toBe(true);
    expect((await b.getJob(original.id))!.uniqueJob).toBe(false);
    expect(await b.insertJobs([make()])).toEqual([twin.id]);
  });
});

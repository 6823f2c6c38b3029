/**
 * `soniq worker` shutdown (docs/reliability.md, docs/cli.md): the first SIGTERM, SIGINT or SIGHUP
 * drains the running job and exits 0; a second signal requeues every claimed job at once and
 * exits 130. Real child processes, real PostgreSQL.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { Soniq } from "../../src/index.ts";
import { freshDatabase } from "../helpers/db.ts";
import { exitWithin, LIBRARY_ENTRY, outsideDir, removeTempDirs, startCli, waitFor, writeJobModule } from "./helpers.ts";

const apps: Soniq[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  removeTempDirs();
});

async function setupWorker(ms: number) {
  const url = await freshDatabase();
  const dir = outsideDir();
  writeJobModule(dir, LIBRARY_ENTRY);
  const app = new Soniq({ databaseUrl: url, enqueueValidation: "none", logLevel: "error" });
  apps.push(app);
  const id = await app.enqueue("cli.slow", { ms });
  const live = startCli(["worker", "--jobs-modules", "./jobs.ts"], {
    cwd: dir,
    // Fast heartbeats and polling so a loaded machine does not make the test wait on defaults.
    env: { SONIQ_DATABASE_URL: url, SONIQ_POLL_INTERVAL: "0.2", SONIQ_HEARTBEAT_INTERVAL: "0.5", SONIQ_SHUTDOWN_TIMEOUT: "60" },
  });
  // Not just "processing": the claim commits before the worker has the reply, and a signal in
  // between rightly gives the still-buffered job back instead of draining it.
  await waitFor(() => live.output().includes("cli.slow started"), { timeout: 45_000, message: "the handler to start" });
  return { app, id, live };
}

describe("worker signals", () => {
  test(
    "SIGTERM during a running job drains it: the job ends done and the exit code is 0",
    async () => {
      const { app, id, live } = await setupWorker(1500);
      live.proc.kill("SIGTERM");
      const code = await exitWithin(live, 60_000);
      expect(code).toBe(0);
      expect((await app.getJob(id))?.status).toBe("done");
      expect(live.output()).toContain("SIGTERM received");
      expect(live.output()).toContain("1 succeeded");
    },
    120_000,
  );

  test(
    "SIGHUP drains too (a closed terminal or SSH session): exit 0, the job finished, nothing left processing",
    async () => {
      const { app, id, live } = await setupWorker(1500);
      live.proc.kill("SIGHUP");
      const code = await exitWithin(live, 60_000);
      expect(code).toBe(0);
      expect(live.output()).toContain("SIGHUP received");
      expect((await app.getJob(id))!.status).toBe("done");
      expect((await app.getQueueStats()).processing).toBe(0);
      expect(live.output()).toContain("1 succeeded");
    },
    120_000,
  );

  test(
    "a second SIGTERM requeues the running job at once and exits 130",
    async () => {
      const { app, id, live } = await setupWorker(120_000);
      live.proc.kill("SIGTERM");
      await waitFor(() => live.output().includes("SIGTERM received"), { timeout: 30_000, message: "the first signal to be handled" });
      const sentAt = Date.now();
      live.proc.kill("SIGTERM");
      const code = await exitWithin(live, 30_000);
      expect(code).toBe(130);
      expect(Date.now() - sentAt).toBeLessThan(10_000); // the requeue is capped at 2 s
      // Back in the queue right away, attempts kept: not left `processing` for the stale-worker rescue.
      const job = (await app.getJob(id))!;
      expect(job.status).toBe("queued");
      expect(job.attempts).toBeLessThanOrEqual(1);
      expect((await app.getQueueStats()).processing).toBe(0);
      expect(live.output()).toContain("1 job requeued");
    },
    120_000,
  );
});

/** A smoke run of the dashboard API on the in-memory backend (and SQLite), mounted in a real Bun.serve. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDashboard } from "../../src/dashboard/index.ts";
import { Soniq } from "../../src/index.ts";

for (const [kind, url] of [
  ["memory", () => "memory:"],
  ["sqlite", () => join(mkdtempSync(join(tmpdir(), "soniq-dash-")), "soniq.db")],
] as const) {
  describe(`dashboard API smoke: ${kind}`, () => {
    let app: Soniq;
    let server: ReturnType<typeof Bun.serve>;
    let base: string;

    beforeAll(async () => {
      app = new Soniq({ databaseUrl: url(), logLevel: "error", enqueueValidation: "none" });
      await app.setup();
      const dash = createDashboard(app, { basePath: "/queue", writeEnabled: true, apiKey: null });
      // Mounted next to the host app's own routes.
      server = Bun.serve({
        port: 0,
        hostname: "127.0.0.1",
        fetch: (req, srv) => (new URL(req.url).pathname.startsWith("/queue") ? dash.fetch(req, srv) : new Response("host app")),
      });
      base = `http://127.0.0.1:${server.port}/queue`;
    });

    afterAll(async () => {
      await server.stop(true);
      await app.close();
    });

    test("reads, a replay and /metrics", async () => {
      const ok = app.job({ name: "smoke.ok" }, async ({ n }: { n: number }) => n + 1);
      const bad = app.job({ name: "smoke.bad", retries: 0 }, async () => {
        throw new Error("smoke failure");
      });
      const okId = await app.enqueue(ok, { n: 1 });
      const badId = await app.enqueue(bad, {});
      await app.enqueue("smoke.pending", { later: true }, { queue: "later" });
      await app.runWorker({ runOnce: true, concurrency: 2, queues: ["default"] });

      const get = async (path: string) => {
        const res = await fetch(`${base}${path}`);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
        return (await res.json()) as any;
      };
      expect(await get("/api/stats")).toMatchObject({ done: 1, queued: 1, dead_letter: 1 });
      expect((await get("/api/queues")).queues.map((q: any) => q.queue)).toEqual(["default", "later"]);
      expect((await get(`/api/jobs/${okId}`)).job.result).toBe(2);
      expect((await get("/api/jobs?q=smoke.pend")).total).toBe(1);
      expect((await get("/api/dead-letter")).items.map((d: any) => d.id)).toEqual([badId]);
      expect((await get(`/api/dead-letter/${badId}`)).deadLetter.error).toBe("Max retries exceeded: Error: smoke failure");
      expect((await get("/api/timeline?window=3600&buckets=12")).totals).toMatchObject({ completed: 1, deadLettered: 1, failureRate: 0.5 });
      expect((await get("/api/health")).database).toMatchObject({ healthy: true, backend: kind });
      expect((await get("/api/workers")).workers).toEqual([]);
      expect((await get("/api/schedules")).schedules).toEqual([]);

      const replay = await fetch(`${base}/api/dead-letter/${badId}/replay`, { method: "POST", headers: { origin: `http://127.0.0.1:${server.port}` } });
      expect(replay.status).toBe(200);
      const { jobId } = (await replay.json()) as { jobId: string };
      expect((await app.getJob(jobId))!.status).toBe("queued");

      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('soniq_queue_depth{queue="later"} 1');
      expect(metrics).toContain("soniq_dead_letter_jobs 1");

      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<title>Soniq Dashboard</title>");
      expect(await (await fetch(`http://127.0.0.1:${server.port}/other`)).text()).toBe("host app");
    });
  });
}

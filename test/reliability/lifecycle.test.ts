/**
 * Lifecycle: app.close() stops every worker the app started, however it was made, and nothing of
 * a stopped worker keeps the process alive.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Soniq } from "../../src/index.ts";
import { freshDatabase, testApp } from "../helpers/db.ts";

let app: Soniq | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe("lifecycle", () => {
  test("app.close() stops a worker made with createWorker() and waits for it", async () => {
    const lines: string[] = [];
    app = await testApp({ logLevel: "warn", logSink: (line) => void lines.push(JSON.stringify(line)) });
    await app.setup();
    let ran = 0;
    const job = app.job({ name: "life.created" }, async () => void ran++);
    await app.enqueueMany(job, [{}, {}]);
    const worker = app.createWorker({ concurrency: 2, handleSignals: false });
    const running = worker.run();
    while (ran < 2) await Bun.sleep(10);
    await app.close();
    const summary = await running;
    expect(summary.succeeded).toBe(2);
    expect(worker.isRunning).toBe(false);
    await Bun.sleep(300); // a worker left running would now log claim errors against the closed pool
    expect(lines.filter((l) => /claim failed|heartbeat failed/.test(l))).toEqual([]);
    app = undefined;
  });

  test("after a graceful stop the process exits by itself, long before shutdownTimeout", async () => {
    const url = await freshDatabase();
    const script = `
      import { Soniq } from ${JSON.stringify(join(import.meta.dir, "../../src/index.ts"))};
      const app = new Soniq({ databaseUrl: process.env.URL, logLevel: "silent", shutdownTimeout: 120, completionFlushInterval: 5 });
      let started = false;
      const job = app.job({ name: "life.exit" }, async () => { started = true; await Bun.sleep(300); });
      await app.enqueue(job, {});
      const worker = app.createWorker({ concurrency: 1, handleSignals: false });
      const running = worker.run();
      while (!started) await Bun.sleep(10);
      await worker.stop(); // while the job runs: the drain waits for it, not for shutdownTimeout
      const summary = await running;
      await app.close();
      console.log("stopped", summary.succeeded, performance.now());
    `;
    const started = Date.now();
    const child = Bun.spawn(["bun", "-e", script], { env: { ...process.env, URL: url }, stdout: "pipe", stderr: "pipe" });
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const code = await child.exited;
    clearTimeout(killer);
    const seconds = (Date.now() - started) / 1000;
    expect(await new Response(child.stdout).text()).toContain("stopped");
    expect(code).toBe(0);
    // shutdownTimeout is 120 s and the flush interval 5 s: neither may hold the process open.
    expect(seconds).toBeLessThan(60);
  });
});

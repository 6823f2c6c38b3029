/** The Prometheus sink and exporter, and the rule that metrics never break a job. */
import { describe, expect, test } from "bun:test";
import { createPrometheusSink, DEFAULT_DURATION_BUCKETS, prometheusText } from "../../src/metrics/index.ts";
import { Soniq } from "../../src/index.ts";
import type { MetricsSink } from "../../src/index.ts";
import { testApp } from "../helpers/db.ts";

describe("createPrometheusSink", () => {
  test("counters, histogram with the standard buckets, in-progress gauge", () => {
    const sink = createPrometheusSink();
    expect(sink.buckets).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]);
    expect(DEFAULT_DURATION_BUCKETS).toEqual(sink.buckets);
    sink.recordJobStart({ jobId: "a", jobName: "mail.send", queue: "mail", attempt: 1 });
    sink.recordJobStart({ jobId: "b", jobName: "mail.send", queue: "mail", attempt: 1 });
    sink.recordJobEnd({ jobId: "a", jobName: "mail.send", queue: "mail", status: "done", durationSeconds: 0.3 });
    sink.recordJobEnd({ jobId: "a", jobName: "mail.send", queue: "mail", status: "done", durationSeconds: 0.3 }); // a duplicate end
    const text = sink.render();
    expect(text).toContain("# TYPE soniq_jobs_started_total counter");
    expect(text).toContain('soniq_jobs_started_total{queue="mail",job_name="mail.send"} 2');
    expect(text).toContain('soniq_jobs_completed_total{queue="mail",job_name="mail.send",status="done"} 2');
    expect(text).toContain("# TYPE soniq_job_duration_seconds histogram");
    expect(text).toContain('soniq_job_duration_seconds_bucket{queue="mail",job_name="mail.send",status="done",le="0.25"} 0');
    expect(text).toContain('soniq_job_duration_seconds_bucket{queue="mail",job_name="mail.send",status="done",le="0.5"} 2');
    expect(text).toContain('soniq_job_duration_seconds_bucket{queue="mail",job_name="mail.send",status="done",le="600"} 2');
    expect(text).toContain('soniq_job_duration_seconds_bucket{queue="mail",job_name="mail.send",status="done",le="+Inf"} 2');
    expect(text).toContain('soniq_job_duration_seconds_sum{queue="mail",job_name="mail.send",status="done"} 0.6');
    expect(text).toContain('soniq_job_duration_seconds_count{queue="mail",job_name="mail.send",status="done"} 2');
    expect(text).toContain("# TYPE soniq_jobs_in_progress gauge");
    expect(text).toContain('soniq_jobs_in_progress{queue="mail",job_name="mail.send"} 1'); // never negative
  });

  test("label values are escaped", () => {
    const sink = createPrometheusSink({ prefix: "app_jobs" });
    sink.recordJobStart({ jobId: "x", jobName: 'we"ird\\name\nx', queue: "q", attempt: 1 });
    expect(sink.render()).toContain('app_jobs_jobs_started_total{queue="q",job_name="we\\"ird\\\\name\\nx"} 1');
    expect(() => createPrometheusSink({ prefix: "bad prefix" })).toThrow();
    expect(() => createPrometheusSink({ buckets: [1, 0.5] })).toThrow();
  });
});

describe("metrics from a real worker (Postgres)", () => {
  test("the sink sees starts and ends; prometheusText adds database gauges", async () => {
    const sink = createPrometheusSink();
    const app = await testApp({ metrics: sink });
    try {
      await app.setup();
      const ok = app.job({ name: "m.ok" }, async () => "ok");
      const bad = app.job({ name: "m.bad", retries: 1 }, async () => {
        throw new Error("no");
      });
      await app.enqueue(ok, {});
      await app.enqueue(ok, {});
      await app.enqueue(bad, {});
      await app.runWorker({ runOnce: true, concurrency: 2 });
      const text = await prometheusText(app, sink);
      expect(text).toContain('soniq_jobs_started_total{queue="default",job_name="m.ok"} 2');
      expect(text).toContain('soniq_jobs_started_total{queue="default",job_name="m.bad"} 2');
      expect(text).toContain('soniq_jobs_completed_total{queue="default",job_name="m.ok",status="done"} 2');
      expect(text).toContain('soniq_jobs_completed_total{queue="default",job_name="m.bad",status="failed"} 1');
      expect(text).toContain('soniq_jobs_completed_total{queue="default",job_name="m.bad",status="dead_letter"} 1');
      expect(text).toContain('soniq_job_duration_seconds_count{queue="default",job_name="m.ok",status="done"} 2');
      expect(text).toContain('soniq_jobs_in_progress{queue="default",job_name="m.ok"} 0');
      expect(text).toContain("soniq_dead_letter_jobs 1");
      expect(text).toContain("soniq_up 1");
    } finally {
      await app.close();
    }
  });

  test("a throwing metrics sink never breaks a job", async () => {
    const throwing: MetricsSink = {
      recordJobStart() {
        throw new Error("sink down (start)");
      },
      async recordJobEnd() {
        throw new Error("sink down (end)");
      },
    };
    const logs: string[] = [];
    const app = await testApp({ metrics: [throwing, createPrometheusSink()], logSink: (line) => logs.push(line), logLevel: "warn" });
    try {
      await app.setup();
      const job = app.job({ name: "m.survives", retries: 0 }, async ({ n }: { n: number }) => n * 2);
      const id = await app.enqueue(job, { n: 4 });
      const summary = await app.runWorker({ runOnce: true, concurrency: 1 });
      expect(summary.succeeded).toBe(1);
      expect(await app.getJobStatus(id)).toMatchObject({ status: "done", result: 8 });
      expect(logs.some((l) => l.includes("metrics sink recordJobStart failed"))).toBe(true);
      expect(logs.some((l) => l.includes("metrics sink recordJobEnd failed"))).toBe(true);
    } finally {
      await app.close();
    }
  });

  test("prometheusText reports soniq_up 0 when the database is unreachable", async () => {
    const app = new Soniq({ databaseUrl: "postgres://nobody:nothing@127.0.0.1:1/none", logLevel: "silent" });
    try {
      const text = await prometheusText(app, null);
      expect(text).toContain("soniq_up 0");
    } finally {
      await app.close();
    }
  });
});

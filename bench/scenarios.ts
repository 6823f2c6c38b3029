/**
 * Bench scenarios. Each takes a database URL and parameters and returns measurements;
 * the runner (bench/run.ts) repeats them, takes medians and prints the table.
 */
import postgres from "postgres";
import { Soniq } from "../src/index.ts";
import { CHAOS_WORKER, createRunsTable, spawnWorker } from "../test/chaos/harness.ts";

export interface Measurement {
  jobs: number;
  seconds: number;
  jobsPerSecond: number;
  latencyMs?: { p50: number; p95: number; p99: number };
  rssMb?: number;
  cpuSeconds?: number;
  extra?: Record<string, number | string>;
}

export interface ScenarioParams {
  url: string;
  jobs?: number;
  concurrency?: number;
  prefetch?: number;
  pollInterval?: number;
  callers?: number;
  rate?: number;
  seconds?: number;
}

export type Scenario = (p: ScenarioParams) => Promise<Measurement>;

function quiet(url: string, extra: Record<string, unknown> = {}): Soniq {
  return new Soniq({ databaseUrl: url, logLevel: "error", poolMaxSize: 40, ...extra });
}

async function fresh(app: Soniq): Promise<void> {
  await app.setup();
  await app.backend.reset();
}

export function percentiles(values: number[]): { p50: number; p95: number; p99: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

function cpuSeconds(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}

/** 50k pre-queued no-op jobs drained by one worker. */
export const burnDown: Scenario = async ({ url, jobs = 50_000, concurrency = 100, prefetch = 900, pollInterval = 0.05 }) => {
  const app = quiet(url, { pollInterval, completionBatchSize: 1000 });
  app.job({ name: "bench.noop" }, async () => {});
  await fresh(app);
  for (let i = 0; i < jobs; i += 10_000) {
    await app.enqueueMany("bench.noop", Array.from({ length: Math.min(10_000, jobs - i) }, (_, k) => ({ i: i + k })));
  }
  if (app.backend.kind === "postgres") await app.sql.unsafe("VACUUM ANALYZE soniq_jobs");
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);
  const summary = await app.runWorker({ runOnce: true, concurrency, prefetch });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  if (summary.succeeded !== jobs) throw new Error(`burn-down: ${summary.succeeded}/${jobs} jobs done`);
  await app.close();
  return { jobs, seconds, jobsPerSecond: jobs / seconds, rssMb: peakRss / 2 ** 20, cpuSeconds: cpuSeconds(cpu) };
};

/** One enqueueMany call of 20k jobs. */
export const bulkEnqueue: Scenario = async ({ url, jobs = 20_000 }) => {
  const app = quiet(url);
  app.job({ name: "bench.noop" }, async () => {});
  await fresh(app);
  const batch = Array.from({ length: jobs }, (_, i) => ({ i, email: `user${i}@example.com` }));
  await app.enqueueMany("bench.noop", batch.slice(0, 10)); // warm the connection and statement
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await app.enqueueMany("bench.noop", batch);
  const seconds = (performance.now() - t0) / 1000;
  await app.close();
  return { jobs, seconds, jobsPerSecond: jobs / seconds, cpuSeconds: cpuSeconds(cpu) };
};

/** Single enqueue calls from N concurrent callers. */
export const singleEnqueue: Scenario = async ({ url, jobs = 10_000, callers = 32 }) => {
  const app = quiet(url, { poolMaxSize: Math.max(callers, 10) });
  app.job({ name: "bench.noop" }, async () => {});
  await fresh(app);
  await Promise.all(Array.from({ length: callers }, () => app.enqueue("bench.noop", { warm: true })));
  const latencies: number[] = [];
  let next = 0;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next++ < jobs) {
        const s = performance.now();
        await app.enqueue("bench.noop", { n: next });
        latencies.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await app.close();
  return { jobs, seconds, jobsPerSecond: jobs / seconds, latencyMs: percentiles(latencies), cpuSeconds: cpuSeconds(cpu) };
};

/** Enqueue at a fixed offered rate while a worker runs; enqueue-to-start latency. */
export const steadyState: Scenario = async ({ url, rate = 5000, seconds = 5, concurrency = 100, pollInterval = 1 }) => {
  const app = quiet(url, { pollInterval });
  const latencies: number[] = [];
  let started = 0;
  app.job({ name: "bench.timed" }, async ({ t }: { t: number }) => {
    latencies.push(performance.timeOrigin + performance.now() - t);
    started++;
  });
  await fresh(app);
  const worker = app.createWorker({ concurrency, handleSignals: false });
  const running = worker.run();
  await Bun.sleep(300);
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);
  const total = Math.round(rate * seconds);
  const tick = 10; // ms; enqueue rate/100 jobs every 10 ms in one batch
  const perTick = Math.max(1, Math.round((rate * tick) / 1000));
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    const n = Math.min(due - sent, perTick * 4);
    if (n > 0) {
      const now = performance.timeOrigin + performance.now();
      await app.enqueueMany("bench.timed", Array.from({ length: n }, () => ({ t: now })));
      sent += n;
    } else {
      await Bun.sleep(tick / 2);
    }
  }
  const deadline = performance.now() + 30_000;
  while (started < total && performance.now() < deadline) await Bun.sleep(5);
  const elapsed = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  await worker.stop();
  await running;
  await app.close();
  return {
    jobs: started,
    seconds: elapsed,
    jobsPerSecond: started / elapsed,
    latencyMs: percentiles(latencies),
    cpuSeconds: cpuSeconds(cpu),
    rssMb: peakRss / 2 ** 20,
    extra: { offered: rate, concurrency, keptUp: started === total ? "yes" : `no (${started}/${total})` },
  };
};

/** An idle worker; one job at a time; enqueue-to-handler-start latency. */
export const pickupLatency: Scenario = async ({ url, jobs = 300, pollInterval = 5 }) => {
  const app = quiet(url, { pollInterval });
  const latencies: number[] = [];
  let resolveRan: (() => void) | null = null;
  app.job({ name: "bench.ping" }, async ({ t }: { t: number }) => {
    latencies.push(performance.timeOrigin + performance.now() - t);
    resolveRan?.();
  });
  await fresh(app);
  const worker = app.createWorker({ concurrency: 10, handleSignals: false });
  const running = worker.run();
  await Bun.sleep(300);
  const t0 = performance.now();
  for (let i = 0; i < jobs + 20; i++) {
    const ran = new Promise<void>((r) => (resolveRan = r));
    await app.enqueue("bench.ping", { t: performance.timeOrigin + performance.now() });
    await ran;
    await Bun.sleep(2);
  }
  const seconds = (performance.now() - t0) / 1000;
  await worker.stop();
  await running;
  await app.close();
  const measured = latencies.slice(20); // drop warm-up
  return { jobs: measured.length, seconds, jobsPerSecond: measured.length / seconds, latencyMs: percentiles(measured) };
};

/**
 * Throughput while an idle-in-transaction session pins the MVCC horizon for `seconds` (default
 * 60): jobs offered at `rate`/s, completions per second measured before, during and after the
 * pin. PostgreSQL only. (test/chaos/shutdown-and-horizon.test.ts checks nothing is lost.)
 */
export const horizon: Scenario = async ({ url, rate = 1000, seconds = 60, concurrency = 20 }) => {
  const app = quiet(url, { pollInterval: 0.2 });
  if (app.backend.kind !== "postgres") throw new Error("horizon: PostgreSQL only (it pins the MVCC horizon)");
  app.job({ name: "bench.horizon" }, async () => {});
  await fresh(app);
  const worker = app.createWorker({ concurrency, handleSignals: false });
  const running = worker.run();
  let producing = true;
  let offered = 0;
  const producer = (async () => {
    const t0 = performance.now();
    while (producing) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate) - offered;
      if (due > 0) {
        await app.enqueueMany("bench.horizon", Array.from({ length: due }, (_, i) => ({ i })));
        offered += due;
      }
      await Bun.sleep(10);
    }
  })();
  const doneNow = async () => (await app.getQueueStats()).done;
  const phase = async (s: number) => {
    const start = await doneNow();
    await Bun.sleep(s * 1000);
    return ((await doneNow()) - start) / s;
  };
  const before = await phase(5);
  const pin = postgres(url, { max: 1, onnotice: () => {} });
  let pinning!: () => void;
  const pinned = new Promise<void>((r) => (pinning = r));
  const pinDone = pin.begin(async (tx) => {
    await tx.unsafe("SELECT txid_current()");
    pinning();
    await Bun.sleep(seconds * 1000);
  });
  await pinned;
  const startDone = await doneNow();
  const t0 = performance.now();
  await pinDone;
  const pinSeconds = (performance.now() - t0) / 1000;
  const duringJobs = (await doneNow()) - startDone;
  const backlog = (await app.getQueueStats()).queued;
  await pin.end();
  const after = await phase(5);
  producing = false;
  await producer;
  await worker.stop();
  await running;
  await app.close();
  const during = duringJobs / pinSeconds;
  return {
    jobs: duringJobs,
    seconds: pinSeconds,
    jobsPerSecond: during,
    extra: {
      offered: rate,
      pin: `${seconds}s`,
      before: Math.round(before),
      after: Math.round(after),
      backlogAtPinEnd: backlog,
      keptUp: during >= rate * 0.8 ? "yes" : "no",
    },
  };
};

/**
 * Stale-job rescue timing, `jobs` samples (default 5): a chaos worker (test/fixtures/chaos/worker.ts)
 * is killed with SIGKILL mid-job while another is idle; latency = kill to the job's second start.
 * The rescue is due heartbeatTimeout after the victim's last heartbeat, found within one
 * cleanupInterval. PostgreSQL only. (test/chaos/rescue-timing.test.ts checks it is never early.)
 */
export const rescue: Scenario = async ({ url, jobs = 5 }) => {
  const app = quiet(url, { enqueueValidation: "none" });
  if (app.backend.kind !== "postgres") throw new Error("rescue: PostgreSQL only (the chaos worker records runs in Postgres)");
  await fresh(app);
  const sql = await createRunsTable(url);
  const killToRerun: number[] = [];
  const staleFor: number[] = [];
  const t0 = performance.now();
  try {
    for (let sample = 0; sample < jobs; sample++) {
      await app.backend.reset();
      await sql.unsafe("TRUNCATE chaos_runs");
      const victim = spawnWorker(url, { CHAOS_WORK_MS: "600000" });
      await victim.ready;
      const id = await app.enqueue("chaos.work", { i: sample });
      const deadline = Date.now() + 30_000;
      while ((await sql.unsafe("SELECT 1 FROM chaos_runs WHERE job_id = $1", [id])).length === 0) {
        if (Date.now() > deadline) throw new Error("rescue: the victim never started the job");
        await Bun.sleep(10);
      }
      const owner = (await app.getJob(id))!.workerId!;
      // The rescuer is up before the kill, so process start-up is not part of the figure.
      const rescuer = spawnWorker(url, { CHAOS_WORK_MS: "1" });
      await rescuer.ready;
      victim.proc.kill("SIGKILL");
      const [{ killed_at }] = (await sql.unsafe("SELECT clock_timestamp() AS killed_at")) as any;
      await victim.proc.exited;
      while ((await sql.unsafe("SELECT 1 FROM chaos_runs WHERE job_id = $1", [id])).length < 2) {
        if (Date.now() > deadline + 60_000) throw new Error("rescue: the job was not run again within 90 s");
        await Bun.sleep(10);
      }
      const [row] = await sql.unsafe(
        `SELECT extract(epoch FROM max(r.at) - $2::timestamptz)::float8 AS kill_to_rerun,
                extract(epoch FROM max(r.at) - (SELECT last_heartbeat FROM soniq_workers WHERE id = $3))::float8 AS stale_for
         FROM chaos_runs r WHERE r.job_id = $1`,
        [id, killed_at, owner],
      );
      killToRerun.push(row!.kill_to_rerun * 1000);
      staleFor.push(row!.stale_for * 1000);
      rescuer.proc.kill("SIGTERM");
      await rescuer.proc.exited;
    }
  } finally {
    await sql.end();
    await app.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    jobs,
    seconds,
    jobsPerSecond: jobs / seconds,
    latencyMs: percentiles(killToRerun),
    extra: {
      heartbeatTimeout: `${CHAOS_WORKER.heartbeatTimeout}s`,
      cleanupInterval: "0.5s",
      minHeartbeatToRerunMs: Math.round(Math.min(...staleFor)),
      maxKillToRerunMs: Math.round(Math.max(...killToRerun)),
    },
  };
};

export const SCENARIOS: Record<string, Scenario> = {
  "burn-down": burnDown,
  "bulk-enqueue": bulkEnqueue,
  "single-enqueue": singleEnqueue,
  "steady-state": steadyState,
  "pickup-latency": pickupLatency,
  horizon,
  rescue,
};

/** Long-running measurements that run only when named (`bun run bench horizon`, `--scenario rescue`). */
export const OPT_IN = new Set(["horizon", "rescue"]);

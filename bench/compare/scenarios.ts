/**
 * Compare scenarios: each runs ONE system on a fresh database (in a child process, see child.ts)
 * and returns flat metrics. The runner (run.ts) pairs the systems and computes ratios.
 */
import postgres from "postgres";
import { type EnqueueSpec, makeSystem, PLAIN, QUEUES, type Payload, type System, type SystemName } from "./systems.ts";

export type Metrics = Record<string, number | string>;

export interface RunParams {
  jobs: number;
  concurrency: number;
  seconds?: number;
  rate?: number;
  callers?: number;
  samples?: number;
}

export type Kind =
  | "burn-down"
  | "bulk-enqueue"
  | "single-enqueue"
  | "pickup-latency"
  | "steady-state"
  | "multi-queue"
  | "future-scheduled"
  | "payload-1k"
  | "sustained";

type Sql = ReturnType<typeof postgres>;

export function percentile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

const now = () => performance.timeOrigin + performance.now();

async function fill(sys: System, jobs: number, payload: (i: number) => Payload, spec: (i: number) => EnqueueSpec = () => ({})): Promise<void> {
  // Chunks of 10,000 through each system's own bulk path; one spec per chunk.
  const chunk = 10_000;
  for (let i = 0; i < jobs; i += chunk) {
    const n = Math.min(chunk, jobs - i);
    await sys.enqueueMany(Array.from({ length: n }, (_, k) => payload(i + k)), spec(i));
  }
}

/**
 * Start the worker on pre-queued jobs; time from the first handler start until the graceful stop
 * returned (all outcomes written). Start-up is left out for every system (reported as startupMs).
 */
async function drain(sys: System, sql: Sql, jobs: number, queues?: string[], leftOver = 0): Promise<Metrics> {
  await sql.unsafe("VACUUM ANALYZE");
  let n = 0;
  let first = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await sys.startWorker(() => {
    if (n === 0) first = performance.now();
    if (++n === jobs) done();
  }, queues);
  const limit = Math.max(120_000, jobs * 5);
  const timer = setTimeout(() => done(), limit);
  await all;
  clearTimeout(timer);
  if (n < jobs) throw new Error(`${sys.name}: only ${n}/${jobs} jobs ran within ${limit / 1000}s`);
  const tLast = performance.now();
  await sys.stopWorker();
  const tEnd = performance.now();
  clearInterval(sampler);
  const pending = await sys.pending((q) => sql.unsafe(q) as Promise<any[]>);
  if (pending !== leftOver) throw new Error(`${sys.name}: ${pending} jobs pending after the drain, expected ${leftOver}`);
  const seconds = (tEnd - first) / 1000;
  const u = process.cpuUsage(cpu);
  return {
    jobs,
    seconds,
    jobsPerSecond: jobs / seconds,
    startupMs: first - t0,
    stopMs: tEnd - tLast,
    cpuSeconds: (u.user + u.system) / 1e6,
    rssMb: peakRss / 2 ** 20,
  };
}

const plainPayload = (i: number): Payload => ({ i, email: `user${i}@example.com` });
const BLOB = "x".repeat(1000);

const SCENARIOS: Record<Kind, (sys: System, sql: Sql, p: RunParams) => Promise<Metrics>> = {
  "burn-down": async (sys, sql, p) => {
    await fill(sys, p.jobs, plainPayload);
    return drain(sys, sql, p.jobs);
  },

  "payload-1k": async (sys, sql, p) => {
    await fill(sys, p.jobs, (i) => ({ i, blob: BLOB }));
    return drain(sys, sql, p.jobs);
  },

  "multi-queue": async (sys, sql, p) => {
    // N jobs over the 3 worked queues, N more over the 7 others; the worker consumes 3 of 10.
    const worked = QUEUES.slice(0, 3);
    const others = QUEUES.slice(3);
    const per = Math.ceil(p.jobs / worked.length);
    let total = 0;
    for (const q of worked) {
      const n = Math.min(per, p.jobs - total);
      await fill(sys, n, plainPayload, () => ({ queue: q }));
      total += n;
    }
    const perOther = Math.ceil(p.jobs / others.length);
    for (const q of others) await fill(sys, perOther, plainPayload, () => ({ queue: q }));
    return drain(sys, sql, p.jobs, worked, perOther * others.length);
  },

  "future-scheduled": async (sys, sql, p) => {
    // 100k rows due in an hour at a better priority, then N due jobs at the default priority.
    const runAt = new Date(Date.now() + 3600_000);
    await fill(sys, 100_000, (i) => ({ i, future: true }), () => ({ runAt, urgent: true }));
    await fill(sys, p.jobs, plainPayload);
    return drain(sys, sql, p.jobs, undefined, 100_000);
  },

  "bulk-enqueue": async (sys) => {
    const jobs = 20_000;
    const batch = Array.from({ length: jobs }, (_, i) => plainPayload(i));
    await sys.enqueueMany(batch.slice(0, 10)); // warm the connection and statements
    const t0 = performance.now();
    await sys.enqueueMany(batch);
    const seconds = (performance.now() - t0) / 1000;
    return { jobs, seconds, jobsPerSecond: jobs / seconds };
  },

  "single-enqueue": async (sys, _sql, p) => {
    const callers = p.callers ?? 1;
    const jobs = p.jobs;
    await Promise.all(Array.from({ length: callers }, (_, i) => sys.enqueue({ warm: i })));
    const latencies: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (next < jobs) {
          const i = next++;
          const s = performance.now();
          await sys.enqueue(plainPayload(i));
          latencies.push(performance.now() - s);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    return { jobs, callers, seconds, jobsPerSecond: jobs / seconds, callP50: percentile(latencies, 0.5), callP99: percentile(latencies, 0.99) };
  },

  "pickup-latency": async (sys, _sql, p) => {
    const samples = p.samples ?? 300;
    const warmup = 20;
    const latencies: number[] = [];
    let ran: (() => void) | null = null;
    await sys.startWorker((payload) => {
      latencies.push(now() - (payload.t as number));
      ran?.();
    });
    await Bun.sleep(500);
    for (let i = 0; i < samples + warmup; i++) {
      const started = new Promise<void>((r) => (ran = r));
      const timeout = Bun.sleep(10_000).then(() => "timeout");
      await sys.enqueue({ t: now(), i });
      if ((await Promise.race([started, timeout])) === "timeout") throw new Error(`${sys.name}: job ${i} not picked up within 10 s`);
      await Bun.sleep(2);
    }
    await sys.stopWorker();
    const measured = latencies.slice(warmup);
    return { samples: measured.length, p50: percentile(measured, 0.5), p95: percentile(measured, 0.95), p99: percentile(measured, 0.99) };
  },

  "steady-state": async (sys, _sql, p) => {
    const rate = p.rate ?? 5000;
    const seconds = p.seconds ?? 10;
    const latencies: number[] = [];
    await sys.startWorker((payload) => {
      latencies.push(now() - (payload.t as number));
    });
    await Bun.sleep(500);
    let peakRss = process.memoryUsage.rss();
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);
    const total = Math.round(rate * seconds);
    const t0 = performance.now();
    let sent = 0;
    while (sent < total) {
      // Every 10 ms, one batch of the jobs now due (about rate/100), through the bulk path.
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      const n = Math.min(due - sent, Math.round(rate / 25));
      if (n > 0) {
        const t = now();
        await sys.enqueueMany(Array.from({ length: n }, (_, k) => ({ t, i: sent + k })));
        sent += n;
      } else {
        await Bun.sleep(5);
      }
    }
    const offeredEnd = performance.now();
    const offeredSeconds = (offeredEnd - t0) / 1000;
    const deadline = offeredEnd + 30_000;
    while (latencies.length < total && performance.now() < deadline) await Bun.sleep(5);
    const lagMs = performance.now() - offeredEnd; // from the last enqueue to the last job start
    clearInterval(sampler);
    await sys.stopWorker();
    // Kept up: every job started, the last within a second of the last enqueue.
    const keptUp = latencies.length === total && lagMs <= 1000;
    return {
      offered: rate,
      offeredRate: total / offeredSeconds,
      started: latencies.length,
      achievedRate: latencies.length / ((offeredEnd + lagMs - t0) / 1000),
      lagMs,
      keptUp: keptUp ? "yes" : latencies.length === total ? `no (last start ${(lagMs / 1000).toFixed(1)} s after the last enqueue)` : `no (${latencies.length}/${total} started)`,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      rssMb: peakRss / 2 ** 20,
    };
  },

  sustained: async (sys, sql, p) => {
    // Closed loop: the producer keeps about 5,000 jobs queued, so the rate is the highest the worker holds.
    const seconds = p.seconds ?? 300;
    const backlog = 5_000;
    let handled = 0;
    await sys.startWorker(() => {
      handled++;
    });
    let enqueued = 0;
    let producing = true;
    const producer = (async () => {
      while (producing) {
        if (enqueued - handled < backlog) {
          await sys.enqueueMany(Array.from({ length: 1000 }, (_, k) => plainPayload(enqueued + k)));
          enqueued += 1000;
        } else await Bun.sleep(5);
      }
    })();
    const dead = async () => {
      const [r] = await sql.unsafe(
        "SELECT coalesce(sum(n_dead_tup), 0)::bigint AS dead, coalesce(sum(n_live_tup), 0)::bigint AS live FROM pg_stat_user_tables WHERE schemaname = $1",
        [sys.schema],
      );
      return { dead: Number(r!.dead), live: Number(r!.live) };
    };
    const series: { t: number; jobsPerSecond: number; deadTuples: number; liveTuples: number; rssMb: number }[] = [];
    const t0 = performance.now();
    let last = handled;
    for (let t = 10; t <= seconds; t += 10) {
      await Bun.sleep(Math.max(0, t0 + t * 1000 - performance.now()));
      const h = handled;
      const { dead: d, live } = await dead();
      series.push({ t, jobsPerSecond: (h - last) / 10, deadTuples: d, liveTuples: live, rssMb: process.memoryUsage.rss() / 2 ** 20 });
      last = h;
      process.stderr.write(`  [${sys.name}] t=${t}s ${Math.round(series.at(-1)!.jobsPerSecond)} jobs/s, dead tuples ${d}\n`);
    }
    producing = false;
    await producer;
    await sys.stopWorker();
    const window = Math.min(6, Math.max(1, Math.floor(series.length / 3))); // a minute, or a third of a short run
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = avg(series.slice(0, window).map((s) => s.jobsPerSecond));
    const lastW = avg(series.slice(-window).map((s) => s.jobsPerSecond));
    const deadLastPeak = Math.max(...series.slice(-window).map((s) => s.deadTuples));
    const deadEarlierPeak = Math.max(1, ...series.slice(window, -window).map((s) => s.deadTuples), ...series.slice(0, window).map((s) => s.deadTuples));
    return {
      seconds,
      windowSeconds: window * 10,
      jobsPerSecond: avg(series.map((s) => s.jobsPerSecond)),
      firstWindowJobsPerSecond: first,
      lastWindowJobsPerSecond: lastW,
      lastOverFirst: lastW / first,
      deadLastPeak,
      deadEarlierPeak,
      deadGrowth: deadLastPeak / deadEarlierPeak,
      series: JSON.stringify(series),
    };
  },
};

export async function runOne(system: SystemName, kind: Kind, url: string, params: RunParams): Promise<Metrics> {
  const sys = makeSystem(system, url, {
    concurrency: params.concurrency,
    producerPool: params.callers ? params.callers + 1 : undefined,
    queues: kind === "multi-queue" ? QUEUES : [PLAIN],
  });
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  await sys.open();
  try {
    return await SCENARIOS[kind](sys, sql, params);
  } finally {
    await sys.close().catch(() => {});
    await sql.end();
  }
}

/**
 * The three queues behind one small interface, so every compare scenario drives them the same
 * way: the same payloads, the same no-op handler (called with the payload as the job starts),
 * each system's own bulk and single enqueue path, and one worker in this process.
 *
 * Settings (docs/performance.md says the same):
 *   ours:            defaults except `concurrency` (100 unless --concurrency); `ours-ttl0` adds resultTtl: 0.
 *   graphile-worker: its perfTest / documented "quick stats" configuration: concurrentJobs 24,
 *                    maxPoolSize 25, localQueue.size 500, completeJobBatchDelay 0, failJobBatchDelay 0;
 *                    producer side: WorkerUtils addJob (graphile_worker.add_job) / addJobs (add_jobs).
 *   pg-boss:         work() with batch fetch and its low-latency delivery: batchSize 500 and
 *                    localConcurrency 4 (the best of a small sweep on the 2-core dev machine: batch
 *                    100/250/500/1000 x 1/2/4/8 pollers), burstWhenBatchFull, useListenNotify with
 *                    queue notify, base poll at its minimum 0.5 s; producer side: send() / insert().
 *                    pg-boss has no documented perf configuration; it keeps completed rows (its default).
 */
import { Logger, makeWorkerUtils, run, type Runner, type WorkerUtils } from "graphile-worker";
import { PgBoss } from "pg-boss";
import { Soniq } from "../../src/index.ts";
import type { Worker } from "../../src/worker/worker.ts";

export type SystemName = "ours-ttl0" | "ours" | "graphile" | "pgboss";
export type Payload = Record<string, unknown>;
export type Handler = (payload: Payload) => void;

export interface EnqueueSpec {
  /** One of QUEUES; default: the plain queue. */
  queue?: string;
  /** Not before this time. */
  runAt?: Date;
  /** A better priority than the default (each system's own scale). */
  urgent?: boolean;
}

export interface SystemOptions {
  /** Our worker's concurrency (the one setting of ours that is not a default). */
  concurrency: number;
  /** Pool size for the producer side when the scenario has many concurrent callers (peers only; ours keeps its default pool). */
  producerPool?: number;
  /** Queues this process will use (multi-queue scenario); default just the plain one. */
  queues?: string[];
}

export interface System {
  readonly name: SystemName;
  /** Install the schema on the (fresh) database and open the producer side. */
  open(): Promise<void>;
  enqueueMany(payloads: Payload[], spec?: EnqueueSpec): Promise<void>;
  enqueue(payload: Payload, spec?: EnqueueSpec): Promise<void>;
  /** Start one worker in this process; `handler` runs as each job starts. */
  startWorker(handler: Handler, queues?: string[]): Promise<void>;
  /** Graceful stop: running jobs finish and their outcomes are written. */
  stopWorker(): Promise<void>;
  close(): Promise<void>;
  /** Schema whose tables hold the jobs (dead-tuple sampling). */
  readonly schema: string;
  /** Jobs not yet finished (queued, scheduled or running), for the end-of-run check. */
  pending(sql: (q: string) => Promise<any[]>): Promise<number>;
}

export const PLAIN = "bench_noop";
/** Ten queue names for the multi-queue scenario. */
export const QUEUES = Array.from({ length: 10 }, (_, i) => `bench_q${i}`);

export const GRAPHILE_PRESET = {
  concurrentJobs: 24,
  maxPoolSize: 25,
  localQueue: { size: 500 },
  completeJobBatchDelay: 0,
  failJobBatchDelay: 0,
} as const;

export const PGBOSS_WORK = {
  batchSize: 500,
  localConcurrency: 4,
  pollingIntervalSeconds: 0.5,
  burstWhenBatchFull: true,
} as const;

export const DEFAULT_OUR_CONCURRENCY = 100;

/** Ours. Job name = queue name with a dot (names must be dotted lower-case). */
class Ours implements System {
  readonly schema = "public";
  private app!: Soniq;
  private handler: Handler = () => {};
  private worker?: Worker;
  private running?: Promise<unknown>;
  constructor(
    readonly name: "ours" | "ours-ttl0",
    private readonly url: string,
    private readonly opts: SystemOptions,
  ) {}

  async open() {
    this.app = new Soniq({ databaseUrl: this.url, logLevel: "error", ...(this.name === "ours-ttl0" ? { resultTtl: 0 } : {}) });
    this.app.job({ name: "bench.noop" }, async (args: Payload) => {
      this.handler(args);
    });
    await this.app.setup();
  }
  async enqueueMany(payloads: Payload[], spec: EnqueueSpec = {}) {
    await this.app.enqueueMany("bench.noop", payloads, this.options(spec));
  }
  async enqueue(payload: Payload, spec: EnqueueSpec = {}) {
    await this.app.enqueue("bench.noop", payload, this.options(spec));
  }
  private options(spec: EnqueueSpec) {
    return {
      ...(spec.queue ? { queue: spec.queue } : {}),
      ...(spec.runAt ? { scheduledAt: spec.runAt } : {}),
      ...(spec.urgent ? { priority: 1 } : {}), // 1..1000, lower first; default 100
    };
  }
  async startWorker(handler: Handler, queues?: string[]) {
    this.handler = handler;
    this.worker = this.app.createWorker({ concurrency: this.opts.concurrency, handleSignals: false, ...(queues ? { queues } : {}) });
    this.running = this.worker.run();
  }
  async stopWorker() {
    await this.worker?.stop();
    await this.running;
    this.worker = undefined;
  }
  async close() {
    await this.app.close();
  }
  async pending(sql: (q: string) => Promise<any[]>) {
    const [r] = await sql("SELECT count(*)::int AS n FROM soniq_jobs WHERE status IN ('queued', 'processing')");
    return r.n;
  }
}

const silentLogger = new Logger(() => () => {});

/** graphile-worker. Its `queueName` means "run serially", so our queues map to task identifiers. */
class Graphile implements System {
  readonly name = "graphile" as const;
  readonly schema = "graphile_worker";
  private utils!: WorkerUtils;
  private runner?: Runner;
  constructor(
    private readonly url: string,
    private readonly opts: SystemOptions,
  ) {}

  async open() {
    this.utils = await makeWorkerUtils({
      connectionString: this.url,
      maxPoolSize: Math.max(10, this.opts.producerPool ?? 0),
      logger: silentLogger,
    });
    await this.utils.migrate();
  }
  private spec(spec: EnqueueSpec) {
    return { ...(spec.runAt ? { runAt: spec.runAt } : {}), ...(spec.urgent ? { priority: -10 } : {}) }; // lower first; default 0
  }
  async enqueueMany(payloads: Payload[], spec: EnqueueSpec = {}) {
    const identifier = spec.queue ?? PLAIN;
    const extra = this.spec(spec);
    await this.utils.addJobs(payloads.map((payload) => ({ identifier, payload, ...extra })));
  }
  async enqueue(payload: Payload, spec: EnqueueSpec = {}) {
    await this.utils.addJob(spec.queue ?? PLAIN, payload, this.spec(spec));
  }
  async startWorker(handler: Handler, queues?: string[]) {
    const task = async (payload: unknown) => {
      handler(payload as Payload);
    };
    const taskList = Object.fromEntries((queues ?? [PLAIN]).map((q) => [q, task]));
    this.runner = await run({
      noHandleSignals: true,
      logger: silentLogger,
      taskList,
      preset: { worker: { connectionString: this.url, ...GRAPHILE_PRESET } },
    });
  }
  async stopWorker() {
    await this.runner?.stop();
    this.runner = undefined;
  }
  async close() {
    await this.utils.release();
  }
  async pending(sql: (q: string) => Promise<any[]>) {
    // Finished jobs are deleted; permanently failed ones stay with attempts = max_attempts.
    const [r] = await sql("SELECT count(*)::int AS n FROM graphile_worker._private_jobs WHERE attempts < max_attempts");
    return r.n;
  }
}

/** pg-boss: queues are first-class; one work() per queue. */
class Boss implements System {
  readonly name = "pgboss" as const;
  readonly schema = "pgboss";
  private boss!: PgBoss;
  private worked: string[] = [];
  constructor(
    private readonly url: string,
    private readonly opts: SystemOptions,
  ) {}

  async open() {
    this.boss = new PgBoss({ connectionString: this.url, useListenNotify: true, max: Math.max(10, this.opts.producerPool ?? 0) });
    this.boss.on("error", (e: unknown) => console.error("pg-boss error:", e));
    await this.boss.start();
    for (const q of this.opts.queues ?? [PLAIN]) await this.boss.createQueue(q, { notify: true });
  }
  private spec(spec: EnqueueSpec) {
    return { ...(spec.runAt ? { startAfter: spec.runAt } : {}), ...(spec.urgent ? { priority: 10 } : {}) }; // higher first; default 0
  }
  async enqueueMany(payloads: Payload[], spec: EnqueueSpec = {}) {
    const extra = this.spec(spec);
    await this.boss.insert(spec.queue ?? PLAIN, payloads.map((data) => ({ data, ...extra })));
  }
  async enqueue(payload: Payload, spec: EnqueueSpec = {}) {
    await this.boss.send(spec.queue ?? PLAIN, payload, this.spec(spec));
  }
  async startWorker(handler: Handler, queues?: string[]) {
    this.worked = queues ?? [PLAIN];
    for (const q of this.worked) {
      await this.boss.work(q, { ...PGBOSS_WORK }, async (jobs) => {
        for (const j of jobs) handler(j.data as Payload);
      });
    }
  }
  async stopWorker() {
    for (const q of this.worked) await this.boss.offWork(q, { wait: true });
    this.worked = [];
  }
  async close() {
    await this.boss.stop({ graceful: true, close: true });
  }
  async pending(sql: (q: string) => Promise<any[]>) {
    const [r] = await sql("SELECT count(*)::int AS n FROM pgboss.job WHERE state IN ('created', 'retry', 'active')");
    return r.n;
  }
}

export function makeSystem(name: SystemName, url: string, opts: SystemOptions): System {
  switch (name) {
    case "ours":
    case "ours-ttl0":
      return new Ours(name, url, opts);
    case "graphile":
      return new Graphile(url, opts);
    case "pgboss":
      return new Boss(url, opts);
  }
}

export const LABEL: Record<SystemName, string> = {
  "ours-ttl0": "ours (resultTtl 0)",
  ours: "ours",
  graphile: "graphile-worker",
  pgboss: "pg-boss",
};

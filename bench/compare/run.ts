/**
 * `bun run bench --compare [--jobs 50000] [--pairs 3] [--scenario name ...] [--concurrency 100]
 *   [--seconds S] [--sustained]`
 *
 * Ours against graphile-worker and pg-boss in the same run: ONE durable PostgreSQL (the embedded
 * one with fsync and synchronous_commit on, or SONIQ_BENCH_DATABASE_URL), and per scenario the
 * systems alternate (A B C A B C ...) with the same job count, each run in its own process on a
 * freshly created database. Prints per-pair ratios, then one table: medians with min-max, ours
 * against the best peer (per-pair ratio, median and min-max), and the issue's targets marked
 * met / NOT met. Writes everything to bench/results/compare-<time>.json.
 *
 * Scenarios (names for --scenario): burn-down, bulk-enqueue, single-enqueue (1, 10 and 32
 * callers), pickup-latency, steady-state, multi-queue, future-scheduled, payload-1k; and
 * `sustained` (5 minutes, closed loop, throughput and dead tuples every 10 s), which runs only
 * with --sustained or --scenario sustained.
 */
import { parseArgs } from "node:util";
import { execSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { startTestPostgres, TestPostgresError } from "../../test/helpers/embedded-pg.ts";
import type { Kind, Metrics, RunParams } from "./scenarios.ts";
import { DEFAULT_OUR_CONCURRENCY, GRAPHILE_PRESET, LABEL, PGBOSS_WORK, type SystemName } from "./systems.ts";

interface Contender {
  key: string;
  system: SystemName;
  kind: Kind;
}

type Better = "higher" | "lower";
type Unit = "jobs/s" | "ms" | "MB" | "ratio" | "tuples";

type Target =
  /** ours' advantage over a peer (ours/peer for throughput, peer/ours for latency) >= factor. */
  | { kind: "vs-peer"; peer: "graphile" | "best"; factor: number; text: string }
  /** ours in this scenario / ours in the plain burn-down of the same pair >= factor. */
  | { kind: "vs-ours"; base: string; factor: number; text: string }
  | { kind: "max"; value: number; text: string }
  | { kind: "min"; value: number; text: string };

interface RowSpec {
  label: string;
  ours: string;
  metric: string;
  better: Better;
  unit: Unit;
  target?: Target;
  /** A ratio of ratios says little: show "-" in the "ours vs best peer" column. */
  noPeerRatio?: boolean;
}

interface ScenarioSpec {
  name: string;
  group: string;
  contenders: Contender[];
  params: (o: Options) => Omit<RunParams, "concurrency">;
  rows: RowSpec[];
  note?: string;
}

interface Options {
  jobs: number;
  pairs: number;
  concurrency: number;
  seconds?: number;
}

const PEERS = (kind: Kind): Contender[] => [
  { key: "graphile", system: "graphile", kind },
  { key: "pgboss", system: "pgboss", kind },
];

const throughput = (label: string, ours: string, target?: Target): RowSpec => ({ label, ours, metric: "jobsPerSecond", better: "higher", unit: "jobs/s", target });

const variant = (name: string, label: string): ScenarioSpec => ({
  name,
  group: name,
  contenders: [{ key: "ours-plain", system: "ours", kind: "burn-down" }, { key: "ours", system: "ours", kind: name as Kind }, ...PEERS(name as Kind)],
  params: (o) => ({ jobs: o.jobs }),
  rows: [throughput(label, "ours", { kind: "vs-ours", base: "ours-plain", factor: 0.8, text: ">= 80% of our plain burn-down" })],
});

const SPECS: ScenarioSpec[] = [
  {
    name: "burn-down",
    group: "burn-down",
    contenders: [{ key: "ours-ttl0", system: "ours-ttl0", kind: "burn-down" }, { key: "ours", system: "ours", kind: "burn-down" }, ...PEERS("burn-down")],
    params: (o) => ({ jobs: o.jobs }),
    rows: [
      throughput("burn-down, ours resultTtl 0", "ours-ttl0", { kind: "vs-peer", peer: "graphile", factor: 1.5, text: ">= 1.5x graphile" }),
      throughput("burn-down, ours default retention", "ours", { kind: "vs-peer", peer: "graphile", factor: 1.2, text: ">= 1.2x graphile" }),
    ],
  },
  {
    name: "bulk-enqueue",
    group: "bulk-enqueue",
    contenders: [{ key: "ours", system: "ours", kind: "bulk-enqueue" }, ...PEERS("bulk-enqueue")],
    params: () => ({ jobs: 20_000 }),
    rows: [throughput("bulk enqueue, 20k in one call", "ours", { kind: "vs-peer", peer: "graphile", factor: 1.5, text: ">= 1.5x graphile add_jobs" })],
  },
  ...[1, 10, 32].map(
    (callers): ScenarioSpec => ({
      name: `single-enqueue-${callers}`,
      group: "single-enqueue",
      contenders: [{ key: "ours", system: "ours", kind: "single-enqueue" }, ...PEERS("single-enqueue")],
      params: (o) => ({ jobs: Math.min(2_000, o.jobs), callers }),
      rows: [throughput(`single enqueue, ${callers} caller${callers > 1 ? "s" : ""}`, "ours", { kind: "vs-peer", peer: "best", factor: 2, text: ">= 2x the better peer" })],
    }),
  ),
  {
    name: "pickup-latency",
    group: "pickup-latency",
    contenders: [{ key: "ours", system: "ours", kind: "pickup-latency" }, ...PEERS("pickup-latency")],
    params: () => ({ jobs: 0, samples: 300 }),
    rows: [
      { label: "pickup latency p50 (ms)", ours: "ours", metric: "p50", better: "lower", unit: "ms", target: { kind: "vs-peer", peer: "graphile", factor: 1, text: "no worse than graphile" } },
      { label: "pickup latency p99 (ms)", ours: "ours", metric: "p99", better: "lower", unit: "ms", target: { kind: "vs-peer", peer: "graphile", factor: 1, text: "no worse than graphile" } },
    ],
  },
  {
    name: "steady-state",
    group: "steady-state",
    contenders: [{ key: "ours", system: "ours", kind: "steady-state" }, ...PEERS("steady-state")],
    params: (o) => ({ jobs: 0, rate: 5000, seconds: o.seconds ?? 10 }),
    rows: [
      { label: "steady 5,000/s: job starts per second", ours: "ours", metric: "achievedRate", better: "higher", unit: "jobs/s" },
      { label: "steady 5,000/s: enqueue-to-start p99 (ms)", ours: "ours", metric: "p99", better: "lower", unit: "ms" },
      { label: "steady 5,000/s: peak RSS (MB)", ours: "ours", metric: "rssMb", better: "lower", unit: "MB", target: { kind: "max", value: 150, text: "<= 150 MB" } },
    ],
  },
  variant("multi-queue", "worker on 3 of 10 queues"),
  variant("future-scheduled", "100k future rows at better priority"),
  variant("payload-1k", "1 KB payload"),
  {
    name: "sustained",
    group: "sustained",
    contenders: [{ key: "ours", system: "ours", kind: "sustained" }, ...PEERS("sustained")],
    params: (o) => ({ jobs: 0, seconds: o.seconds ?? 300 }),
    rows: [
      throughput("sustained: mean throughput", "ours"),
      { label: "sustained: last window / first window", ours: "ours", metric: "lastOverFirst", better: "higher", unit: "ratio", target: { kind: "min", value: 0.9, text: ">= 0.9" } },
      { label: "sustained: dead tuples, last-window peak", ours: "ours", metric: "deadLastPeak", better: "lower", unit: "tuples" },
      { label: "sustained: dead tuples, last-window peak / earlier peak", ours: "ours", metric: "deadGrowth", better: "lower", unit: "ratio", noPeerRatio: true, target: { kind: "max", value: 1.5, text: "bounded (<= 1.5)" } },
    ],
    note: "closed loop: the producer keeps about 5,000 jobs queued; default retention",
  },
];

const DEFAULT_SCENARIOS = SPECS.filter((s) => s.group !== "sustained");

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function fmt(v: number, unit: Unit): string {
  if (!Number.isFinite(v)) return "n/a";
  switch (unit) {
    case "jobs/s":
    case "tuples":
      return Math.round(v).toLocaleString("en-US");
    case "ms":
      return v.toFixed(2);
    case "MB":
      return v.toFixed(0);
    case "ratio":
      return v.toFixed(2);
  }
}

const fmtX = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : "n/a");

function spread(xs: number[], f: (v: number) => string): string {
  const ok = xs.filter(Number.isFinite);
  if (!ok.length) return "failed";
  if (ok.length === 1) return f(ok[0]!);
  return `${f(median(ok))} (${f(Math.min(...ok))}-${f(Math.max(...ok))})`;
}

/** Ours' advantage over `peer` for one pair: > 1 means ours is better. */
function advantage(ours: number, peer: number, better: Better): number {
  return better === "higher" ? ours / peer : peer / ours;
}

interface RunRecord {
  scenario: string;
  pair: number;
  contender: string;
  system: SystemName;
  kind: Kind;
  params: RunParams;
  metrics?: Metrics;
  error?: string;
}

async function runChild(system: SystemName, kind: Kind, url: string, params: RunParams): Promise<Metrics> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "child.ts")], {
    env: { ...process.env, CMP_RUN: JSON.stringify({ system, kind, url, params }) },
    stdout: "pipe",
    stderr: "inherit",
  });
  const limitMs = kind === "sustained" ? ((params.seconds ?? 300) + 300) * 1000 : 15 * 60_000;
  const killer = setTimeout(() => proc.kill("SIGKILL"), limitMs);
  const out = await new Response(proc.stdout).text();
  const code = await proc.exited;
  clearTimeout(killer);
  const line = out.split("\n").find((l) => l.startsWith("@@result "));
  if (code !== 0 || !line) throw new Error(`child exited with ${code}${proc.signalCode ? ` (${proc.signalCode})` : ""}`);
  return JSON.parse(line.slice("@@result ".length)) as Metrics;
}

function summary(kind: Kind, m: Metrics): string {
  const n = (k: string, d = 0) => (typeof m[k] === "number" ? (m[k] as number).toLocaleString("en-US", { maximumFractionDigits: d }) : "?");
  switch (kind) {
    case "pickup-latency":
      return `p50 ${n("p50", 2)} ms, p99 ${n("p99", 2)} ms`;
    case "steady-state":
      return `p50 ${n("p50", 2)} ms, p99 ${n("p99", 2)} ms, RSS ${n("rssMb")} MB, kept up: ${m.keptUp}`;
    case "sustained":
      return `${n("jobsPerSecond")} jobs/s mean, last/first ${n("lastOverFirst", 2)}, dead tuples last peak ${n("deadLastPeak")}`;
    default:
      return `${n("jobsPerSecond")} jobs/s`;
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      compare: { type: "boolean", default: false },
      jobs: { type: "string" },
      pairs: { type: "string" },
      scenario: { type: "string", multiple: true },
      concurrency: { type: "string" },
      seconds: { type: "string" },
      sustained: { type: "boolean", default: false },
    },
  });
  const opts: Options = {
    jobs: Number(values.jobs ?? 50_000),
    pairs: Number(values.pairs ?? (values.sustained ? 1 : 3)),
    concurrency: Number(values.concurrency ?? DEFAULT_OUR_CONCURRENCY),
    seconds: values.seconds ? Number(values.seconds) : undefined,
  };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new Error(`--${k} must be a positive number`);

  const wanted = [...(values.scenario ?? []), ...(values.sustained ? ["sustained"] : [])];
  const specs = wanted.length ? SPECS.filter((s) => wanted.includes(s.name) || wanted.includes(s.group)) : DEFAULT_SCENARIOS;
  const unknown = wanted.filter((w) => !SPECS.some((s) => s.name === w || s.group === w));
  if (unknown.length) {
    process.stderr.write(`unknown scenario ${unknown.join(", ")}; known: ${[...new Set(SPECS.map((s) => s.group))].join(", ")}\n`);
    return 2;
  }

  // One server for the whole comparison; a fresh database for every run.
  let base = process.env.SONIQ_BENCH_DATABASE_URL;
  let stopCluster: (() => Promise<void>) | undefined;
  if (!base) {
    progress("starting a durable PostgreSQL (fsync and synchronous_commit on) ...");
    try {
      const cluster = await startTestPostgres({ durable: true });
      stopCluster = cluster.stop;
      base = cluster.url;
    } catch (e) {
      if (!(e instanceof TestPostgresError)) throw e;
      process.stderr.write(e.message);
      return 1;
    }
  }
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  const dbUrl = new URL(base);
  dbUrl.pathname = "/soniq_compare";
  const freshDatabase = async () => {
    await admin.unsafe("DROP DATABASE IF EXISTS soniq_compare WITH (FORCE)");
    await admin.unsafe("CREATE DATABASE soniq_compare");
    await admin.unsafe("CHECKPOINT").catch(() => {}); // needs superuser; only there to start each run from a clean slate
  };

  const startedAt = new Date();
  const loadBefore = loadavg();
  let commit = process.env.SONIQ_BENCH_REVISION ?? "unknown (not a git checkout)";
  if (!process.env.SONIQ_BENCH_REVISION) {
    try {
      commit = execSync("git describe --always --dirty", { cwd: import.meta.dir, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
    } catch {}
  }
  const [{ server_version: pgVersion }] = (await admin.unsafe("SHOW server_version")) as any;
  const settings = Object.fromEntries(
    ((await admin.unsafe("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers')")) as any[]).map((r) => [r.name, r.setting]),
  );
  const pkgVersion = (name: string) => {
    try {
      return JSON.parse(readFileSync(join(import.meta.dir, "..", "..", "node_modules", name, "package.json"), "utf8")).version as string;
    } catch {
      return "?";
    }
  };
  const versions = { "graphile-worker": pkgVersion("graphile-worker"), "pg-boss": pkgVersion("pg-boss") };

  const runs: RunRecord[] = [];
  const totalRuns = specs.reduce((a, s) => a + s.contenders.length * opts.pairs, 0);
  let done = 0;
  try {
    for (const spec of specs) {
      const params: RunParams = { ...spec.params(opts), concurrency: opts.concurrency };
      progress(`\n== ${spec.name} (${JSON.stringify(params)}), ${opts.pairs} pair(s): ${spec.contenders.map((c) => c.key).join(" ")} ...`);
      for (let pair = 1; pair <= opts.pairs; pair++) {
        for (const c of spec.contenders) {
          done++;
          progress(`[${done}/${totalRuns}] ${spec.name} pair ${pair}/${opts.pairs}: ${c.key} (${c.kind}) ...`);
          const rec: RunRecord = { scenario: spec.name, pair, contender: c.key, system: c.system, kind: c.kind, params };
          try {
            await freshDatabase();
            rec.metrics = await runChild(c.system, c.kind, dbUrl.toString(), params);
            progress(`    ${c.key}: ${summary(c.kind, rec.metrics)}`);
          } catch (e) {
            rec.error = e instanceof Error ? e.message : String(e);
            progress(`    ${c.key}: FAILED: ${rec.error}`);
          }
          runs.push(rec);
        }
        // Per-pair ratios as they come in.
        for (const row of spec.rows) {
          const get = (key: string) => runs.find((r) => r.scenario === spec.name && r.pair === pair && r.contender === key)?.metrics?.[row.metric];
          const ours = get(row.ours);
          const peers = (["graphile", "pgboss"] as const).map((k) => [k, get(k)] as const).filter(([, v]) => typeof v === "number") as [string, number][];
          if (typeof ours !== "number" || !peers.length) continue;
          const parts = peers.map(([k, v]) => `vs ${LABEL[k as SystemName]} ${fmtX(advantage(ours, v, row.better))}`);
          progress(`    pair ${pair} ${row.label}: ours ${fmt(ours, row.unit)}, ${parts.join(", ")}`);
        }
      }
    }
  } finally {
    await admin.end();
    await stopCluster?.();
  }
  const loadAfter = loadavg();

  // ---- the table ----
  const header = ["scenario", "ours median (min-max)", "graphile-worker", "pg-boss", "ours vs best peer", "target", "measured", "met"];
  const table: string[][] = [];
  const rowsOut: Record<string, unknown>[] = [];
  let allMet = true;
  for (const spec of specs) {
    const valuesOf = (key: string, metric: string) =>
      Array.from({ length: opts.pairs }, (_, i) => {
        const v = runs.find((r) => r.scenario === spec.name && r.pair === i + 1 && r.contender === key)?.metrics?.[metric];
        return typeof v === "number" ? v : NaN;
      });
    for (const row of spec.rows) {
      const ours = valuesOf(row.ours, row.metric);
      const g = valuesOf("graphile", row.metric);
      const b = valuesOf("pgboss", row.metric);
      const vsBest = ours.map((o, i) => {
        const peers = [g[i]!, b[i]!].filter(Number.isFinite);
        if (!peers.length) return NaN;
        const best = row.better === "higher" ? Math.max(...peers) : Math.min(...peers);
        return advantage(o, best, row.better);
      });
      let measured = "-";
      let met = "-";
      let targetValues: number[] = [];
      const t = row.target;
      if (t) {
        if (t.kind === "vs-peer") targetValues = ours.map((o, i) => advantage(o, t.peer === "graphile" ? g[i]! : NaN, row.better));
        if (t.kind === "vs-peer" && t.peer === "best") targetValues = vsBest;
        if (t.kind === "vs-ours") targetValues = ours.map((o, i) => o / valuesOf(t.base, row.metric)[i]!);
        if (t.kind === "max" || t.kind === "min") targetValues = ours;
        const m = median(targetValues.filter(Number.isFinite));
        const ok = Number.isFinite(m) && (t.kind === "max" ? m <= t.value : t.kind === "min" ? m >= t.value : m >= t.factor);
        const every = targetValues.every((v) => Number.isFinite(v) && (t.kind === "max" ? v <= t.value : t.kind === "min" ? v >= t.value : v >= t.factor));
        measured = t.kind === "max" || t.kind === "min" ? spread(targetValues, (v) => fmt(v, row.unit)) : t.kind === "vs-ours" ? spread(targetValues, (v) => `${(v * 100).toFixed(0)}%`) : spread(targetValues, fmtX);
        met = !Number.isFinite(m) ? "n/a" : ok ? (every ? "met" : "met (median; not every pair)") : "NOT met";
        if (!ok) allMet = false;
      }
      const f = (v: number) => fmt(v, row.unit);
      table.push([row.label, spread(ours, f), spread(g, f), spread(b, f), row.noPeerRatio ? "-" : spread(vsBest, fmtX), t?.text ?? "-", measured, met]);
      rowsOut.push({ scenario: spec.name, row: row.label, metric: row.metric, unit: row.unit, better: row.better, ours, graphile: g, pgboss: b, oursVsBestPeer: vsBest, target: t ?? null, targetValues, met });
    }
  }
  const widths = header.map((_, i) => Math.max(...[header, ...table].map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;

  console.log(
    `\nSoniq compare: ${opts.pairs} pair(s) per scenario, burn-down jobs ${opts.jobs.toLocaleString("en-US")}, ours concurrency ${opts.concurrency}; ` +
      `${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, bun ${Bun.version}, PostgreSQL ${pgVersion} ` +
      `(fsync=${settings.fsync}, synchronous_commit=${settings.synchronous_commit}${process.env.SONIQ_BENCH_DATABASE_URL ? ", SONIQ_BENCH_DATABASE_URL" : ", embedded, same machine"}); ` +
      `graphile-worker ${versions["graphile-worker"]}, pg-boss ${versions["pg-boss"]}; soniq ${commit}; ` +
      `load average ${loadBefore[0]!.toFixed(1)} before, ${loadAfter[0]!.toFixed(1)} after; ${startedAt.toISOString()}`,
  );
  console.log(
    `Peers: graphile-worker ${JSON.stringify(GRAPHILE_PRESET)}; pg-boss work ${JSON.stringify(PGBOSS_WORK)} + useListenNotify, queue notify. ` +
      `"ours vs best peer" and "measured" are per-pair ratios (median, min-max); > 1 means ours is better (throughput ours/peer, latency and RSS peer/ours).\n`,
  );
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of table) console.log(line(r));

  const sustained = runs.filter((r) => r.kind === "sustained" && r.metrics?.series);
  for (const r of sustained) {
    const series = JSON.parse(r.metrics!.series as string) as { t: number; jobsPerSecond: number; deadTuples: number; liveTuples: number; rssMb: number }[];
    console.log(`\nsustained, ${LABEL[r.system]} (pair ${r.pair}): t s | jobs/s | dead tuples | live tuples | RSS MB`);
    for (const s of series) console.log(`  ${s.t} | ${Math.round(s.jobsPerSecond)} | ${s.deadTuples} | ${s.liveTuples} | ${s.rssMb.toFixed(0)}`);
  }
  const failed = runs.filter((r) => r.error);
  if (failed.length) console.log(`\n${failed.length} run(s) failed: ${failed.map((r) => `${r.scenario}/${r.contender} pair ${r.pair}: ${r.error}`).join("; ")}`);

  mkdirSync(join(import.meta.dir, "..", "results"), { recursive: true });
  const file = join(import.meta.dir, "..", "results", `compare-${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt,
        options: opts,
        environment: { cores: cpus().length, memGiB: totalmem() / 2 ** 30, bun: Bun.version, postgres: pgVersion, settings, versions, soniq: commit, loadBefore, loadAfter },
        peers: { graphile: GRAPHILE_PRESET, pgboss: { ...PGBOSS_WORK, useListenNotify: true, queueNotify: true } },
        rows: rowsOut,
        runs,
      },
      null,
      2,
    ),
  );
  console.log(`\nJSON: ${file}${allMet ? "" : "  (some targets not met; see the table)"}`);
  return failed.length ? 1 : 0;
}

if (import.meta.main) process.exit(await main(Bun.argv.slice(2)));

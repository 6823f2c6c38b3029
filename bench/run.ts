/**
 * `bun run bench [scenario ...] [--scenario name ...] [--runs 3] [--backend postgres|sqlite] [--sweep]
 *   [--jobs N] [--seconds S]`
 * Starts a durable throwaway PostgreSQL (or uses SONIQ_BENCH_DATABASE_URL), runs the scenarios,
 * prints medians with their spread, and writes JSON to bench/results/. Without names it runs every
 * scenario except the long opt-in measurements (`horizon`: throughput while the MVCC horizon is
 * pinned, `--seconds` long; `rescue`: kill -9 to rescued re-run, `--jobs` samples), which run
 * only when named: `bun run bench --scenario horizon --runs 1`.
 * `bun run bench --compare [--jobs N] [--pairs 3] [--scenario name] [--sustained]`: see bench/compare/run.ts.
 */
import { parseArgs } from "node:util";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { startTestPostgres, TestPostgresError } from "../test/helpers/embedded-pg.ts";
import { OPT_IN, SCENARIOS, type Measurement, type ScenarioParams } from "./scenarios.ts";

// `bun run bench --compare ...`: ours against graphile-worker and pg-boss (bench/compare/run.ts).
if (Bun.argv.includes("--compare")) {
  const { main } = await import("./compare/run.ts");
  process.exit(await main(Bun.argv.slice(2)));
}

const { values, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  allowPositionals: true,
  options: {
    runs: { type: "string", default: "3" },
    backend: { type: "string", default: "postgres" },
    sweep: { type: "boolean", default: false },
    jobs: { type: "string" },
    seconds: { type: "string" },
    scenario: { type: "string", multiple: true },
  },
});

const runs = Number(values.runs);
const requested = [...positionals, ...(values.scenario ?? [])];
const names = requested.length ? requested : Object.keys(SCENARIOS).filter((n) => !OPT_IN.has(n));
for (const n of names) if (!SCENARIOS[n]) throw new Error(`unknown scenario ${n}; known: ${Object.keys(SCENARIOS).join(", ")}`);

let stopCluster: (() => Promise<void>) | undefined;
async function databaseUrl(): Promise<string> {
  if (values.backend === "sqlite") return join(mkdtempSync(join(tmpdir(), "soniq-bench-")), "bench.db");
  let base = process.env.SONIQ_BENCH_DATABASE_URL;
  if (!base) {
    progress("starting a durable PostgreSQL (fsync on) ...");
    const cluster = await startTestPostgres({ durable: true }).catch((e) => {
      // One clear message and exit 1, never a stack trace or a hang (see test/helpers/embedded-pg.ts).
      if (!(e instanceof TestPostgresError)) throw e;
      if (process.stderr.isTTY) progress("");
      process.stderr.write(e.message);
      process.exit(1);
    });
    stopCluster = cluster.stop;
    base = cluster.url;
  }
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe("DROP DATABASE IF EXISTS soniq_bench");
  await admin.unsafe("CREATE DATABASE soniq_bench");
  await admin.end();
  const url = new URL(base);
  url.pathname = "/soniq_bench";
  return url.toString();
}

function progress(line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}`);
  else process.stderr.write(`${line}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Row {
  scenario: string;
  params: Omit<ScenarioParams, "url">;
  runs: Measurement[];
}

async function runScenario(name: string, url: string, params: Omit<ScenarioParams, "url">): Promise<Row> {
  const results: Measurement[] = [];
  for (let i = 1; i <= runs; i++) {
    progress(`${name} ${JSON.stringify(params)} run ${i}/${runs} ...`);
    results.push(await SCENARIOS[name]!({ url, ...params }));
    progress(`${name} run ${i}/${runs}: ${Math.round(results.at(-1)!.jobsPerSecond)} jobs/s`);
  }
  return { scenario: name, params, runs: results };
}

function formatRow(r: Row): string[] {
  const jps = r.runs.map((m) => m.jobsPerSecond);
  const lat = r.runs.filter((m) => m.latencyMs).map((m) => m.latencyMs!);
  const latency = lat.length
    ? `${median(lat.map((l) => l.p50)).toFixed(2)} / ${median(lat.map((l) => l.p95)).toFixed(2)} / ${median(lat.map((l) => l.p99)).toFixed(2)}`
    : "-";
  const rss = r.runs.filter((m) => m.rssMb).map((m) => m.rssMb!);
  const cpu = r.runs.filter((m) => m.cpuSeconds).map((m) => m.cpuSeconds!);
  const extra = r.runs.at(-1)!.extra;
  const params = Object.entries(r.params)
    .filter(([k]) => k !== "jobs")
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  return [
    params ? `${r.scenario} (${params})` : r.scenario,
    String(r.runs[0]!.jobs),
    `${Math.round(median(jps))} (${Math.round(Math.min(...jps))}-${Math.round(Math.max(...jps))})`,
    latency,
    cpu.length ? median(cpu).toFixed(2) : "-",
    rss.length ? median(rss).toFixed(0) : "-",
    extra ? Object.entries(extra).map(([k, v]) => `${k}=${v}`).join(" ") : "",
  ];
}

function printTable(rows: string[][]): void {
  const header = ["scenario", "jobs", "jobs/s median (min-max)", "latency ms p50/p95/p99", "cpu s", "rss MB", "notes"];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of rows) console.log(line(r));
}

const url = await databaseUrl();
const out: Row[] = [];
try {
  if (values.sweep) {
    for (const concurrency of [10, 50, 100, 200]) {
      for (const prefetchFactor of [0, 1, 4]) {
        out.push(await runScenario("burn-down", url, { jobs: Number(values.jobs ?? 20_000), concurrency, prefetch: concurrency * prefetchFactor }));
      }
    }
    for (const pollInterval of [0.05, 1, 5]) out.push(await runScenario("pickup-latency", url, { pollInterval, jobs: 100 }));
  } else {
    const params = { ...(values.jobs ? { jobs: Number(values.jobs) } : {}), ...(values.seconds ? { seconds: Number(values.seconds) } : {}) };
    for (const name of names) out.push(await runScenario(name, url, params));
  }
} finally {
  await stopCluster?.();
}
progress("");
console.log(`\nSoniq bench: backend=${values.backend}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, bun ${Bun.version}, ${runs} runs each, ${new Date().toISOString()}`);
printTable(out.map(formatRow));
if (values.sweep) {
  const burn = out.filter((r) => r.scenario === "burn-down");
  const best = burn.reduce((a, b) => (median(b.runs.map((m) => m.jobsPerSecond)) > median(a.runs.map((m) => m.jobsPerSecond)) ? b : a));
  console.log(`\nbest burn-down settings: concurrency=${best.params.concurrency} prefetch=${best.params.prefetch} (${Math.round(median(best.runs.map((m) => m.jobsPerSecond)))} jobs/s)`);
}
mkdirSync(join(import.meta.dir, "results"), { recursive: true });
const file = join(import.meta.dir, "results", `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, JSON.stringify({ backend: values.backend, cores: cpus().length, bun: Bun.version, results: out }, null, 2));
console.log(`\nJSON: ${file}`);

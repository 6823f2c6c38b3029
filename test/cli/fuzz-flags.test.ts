/**
 * Random commands and flags at the real CLI: every run ends with exit 0, 1 or 2 and a one-line
 * reason, never an uncaught exception or a stack trace.
 */
import { expect, test } from "bun:test";
import { freshDatabase } from "../helpers/db.ts";
import { runCli } from "./helpers.ts";

const COMMANDS = [["jobs", "list"], ["jobs", "show"], ["jobs", "cancel"], ["dead-letter", "list"], ["dead-letter", "purge"], ["dead-letter", "replay"], ["status"], ["migrate-status"], ["schedules", "list"], ["worker"], ["bogus"], []];
const FLAGS = ["--limit", "--offset", "--queue", "--status", "--concurrency", "--format", "--json", "--yes", "--dry-run", "--all", "--database-url", "--run-once", "--queues", "--nope"];
const VALUES = ["-1", "0", "abc", "1e309", "'; DROP TABLE soniq_jobs; --", "", "9999999999999", "json", "csv", "postgres://", "mysql://x", "null", "💥"];

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

test("random CLI invocations exit 0/1/2 without crashing", async () => {
  const url = await freshDatabase();
  const r = rng(2026);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const outcomes: Record<number, number> = {};
  for (let i = 0; i < 24; i++) {
    const args = [...pick(COMMANDS)];
    for (let k = Math.floor(r() * 3); k > 0; k--) {
      args.push(pick(FLAGS));
      if (r() < 0.7) args.push(pick(VALUES));
    }
    if (args[0] === "worker") args.push("--run-once"); // never block on a long-running worker
    const res = await runCli(args, { env: { SONIQ_DATABASE_URL: url }, timeoutMs: 20_000 });
    outcomes[res.code] = (outcomes[res.code] ?? 0) + 1;
    expect([0, 1, 2]).toContain(res.code);
    expect(res.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m); // no stack trace
    expect(res.stderr).not.toContain("Bun v1"); // no crash banner
  }
  expect(Object.keys(outcomes).length).toBeGreaterThan(1);
}, 120_000);

/**
 * One compare run in its own process (fresh heap, RSS and timers for every run):
 * `bun bench/compare/child.ts` with CMP_RUN='{"system":..,"kind":..,"url":..,"params":{..}}'.
 * Prints one line `@@result <json>` on stdout; errors go to stderr with exit code 1.
 */
import { runOne, type Kind, type RunParams } from "./scenarios.ts";
import type { SystemName } from "./systems.ts";

const spec = JSON.parse(process.env.CMP_RUN ?? "{}") as { system: SystemName; kind: Kind; url: string; params: RunParams };
try {
  const metrics = await runOne(spec.system, spec.kind, spec.url, spec.params);
  process.stdout.write(`@@result ${JSON.stringify(metrics)}\n`);
  process.exit(0);
} catch (e) {
  process.stderr.write(`${spec.system} ${spec.kind}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
}

import type { Settings } from "../settings.ts";

/**
 * How long a worker may stay silent before it counts as dead: `rescueAfter` for workers that
 * heartbeat from a thread of their own (their row's metadata says `heartbeat: "thread"`), else
 * `heartbeatTimeout` (Python's workers, in-process backends). The rescue statements in sql/
 * apply the same rule; this copy serves the views (dashboard, `soniq status`).
 */
export function silenceLimitSeconds(metadata: Record<string, unknown> | null, settings: Pick<Settings, "heartbeatTimeout" | "rescueAfter">): number {
  return metadata?.heartbeat === "thread" ? settings.rescueAfter : settings.heartbeatTimeout;
}

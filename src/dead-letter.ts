import type { DeadLetterFilter, DeadLetterRecord, DeadLetterStats, ReplayOptions, StorageBackend } from "./backends/types.ts";
import { checkInt } from "./core/job.ts";
import { ErrorCodes, SoniqError, show } from "./errors.ts";

/**
 * `app.deadLetter`: jobs that failed for good. Replay works by task name, so it needs no
 * registered handler in this process (the CLI and dashboard replay too).
 */
export class DeadLetterService {
  constructor(private readonly backend: () => Promise<StorageBackend>) {}

  async list(filter: DeadLetterFilter = {}): Promise<DeadLetterRecord[]> {
    if (filter.limit !== undefined) checkInt("limit", filter.limit, 0, 1_000_000);
    if (filter.offset !== undefined) checkInt("offset", filter.offset, 0, Number.MAX_SAFE_INTEGER);
    return (await this.backend()).listDeadLetters(filter);
  }

  async count(filter: DeadLetterFilter = {}): Promise<number> {
    return (await this.backend()).countDeadLetters(filter);
  }

  async get(id: string): Promise<DeadLetterRecord | null> {
    return (await this.backend()).getDeadLetter(id);
  }

  /** Mint a fresh queued job from the dead-letter row (kept, with `resurrectionCount` bumped). Null if missing. */
  async replay(id: string, options: ReplayOptions = {}): Promise<string | null> {
    if (options.priority !== undefined) checkInt("priority", options.priority, 1, 1000);
    if (options.maxAttempts !== undefined) checkInt("maxAttempts", options.maxAttempts, 1, 1001);
    return (await this.backend()).replayDeadLetter(id, Bun.randomUUIDv7(), options);
  }

  /** Replay the given ids, or every row matching a filter. Returns the new job ids. */
  async replayMany(idsOrFilter: readonly string[] | DeadLetterFilter, options: ReplayOptions = {}): Promise<string[]> {
    const ids = Array.isArray(idsOrFilter) ? idsOrFilter : (await this.list(idsOrFilter as DeadLetterFilter)).map((r) => r.id);
    const out: string[] = [];
    for (const id of ids) {
      const newId = await this.replay(id, options);
      if (newId) out.push(newId);
    }
    return out;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.backend()).deleteDeadLetter(id);
  }

  /** Delete every row matching the filter (all rows when empty). Returns how many. */
  async purge(filter: DeadLetterFilter = {}): Promise<number> {
    return (await this.backend()).purgeDeadLetters(filter);
  }

  /** Delete rows moved to the dead-letter queue more than `days` days ago (default 30). Returns how many. */
  async cleanup(days = 30): Promise<number> {
    if (typeof days !== "number" || !Number.isFinite(days) || days < 0) {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `cleanup(days): days must be a number >= 0, got ${show(days)}`, { days });
    }
    return (await this.backend()).purgeDeadLetters({ before: new Date(Date.now() - days * 86_400_000) });
  }

  async stats(): Promise<DeadLetterStats> {
    return (await this.backend()).deadLetterStats();
  }

  /** The rows as JSON (an array) or CSV (header + one line per row). */
  async export(filter: DeadLetterFilter = {}, format: "json" | "csv" = "json"): Promise<string> {
    const rows = await this.list({ limit: 1_000_000, ...filter });
    if (format === "json") return JSON.stringify(rows, null, 2);
    const header = ["id", "job_name", "queue", "priority", "attempts", "max_attempts", "reason", "moved_at", "original_created_at", "resurrection_count", "args", "last_error"];
    const lines = rows.map((r) =>
      [r.id, r.jobName, r.queue, r.priority, r.attempts, r.maxAttempts, r.reason, r.movedAt.toISOString(), r.originalCreatedAt.toISOString(), r.resurrectionCount, JSON.stringify(r.args), r.lastError ?? ""]
        .map(csvCell)
        .join(","),
    );
    return [header.join(","), ...lines].join("\n") + "\n";
  }
}

function csvCell(value: unknown): string {
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

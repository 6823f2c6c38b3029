import type {
  DeadLetterFilter,
  DeadLetterRecord,
  DeadLetterStats,
  DeadLetterStatsOptions,
  DeadLetterTagValue,
  ReplayOptions,
  StorageBackend,
} from "./backends/types.ts";
import { checkInt } from "./core/job.ts";
import { isStorableText } from "./core/text.ts";
import { ErrorCodes, SoniqError, show } from "./errors.ts";

/** Longest tag key and string tag value, in UTF-16 units. */
export const MAX_TAG_KEY_LENGTH = 200;
export const MAX_TAG_VALUE_LENGTH = 1000;
/** Largest `stats({ hours })` window (about 114 years). */
export const MAX_STATS_HOURS = 1_000_000;

/**
 * `app.deadLetter`: jobs that failed for good. Replay works by task name, so it needs no
 * registered handler in this process (the CLI and dashboard replay too).
 */
export class DeadLetterService {
  constructor(private readonly backend: () => Promise<StorageBackend>) {}

  async list(filter: DeadLetterFilter = {}): Promise<DeadLetterRecord[]> {
    if (filter.limit !== undefined) checkInt("limit", filter.limit, 0, 1_000_000);
    if (filter.offset !== undefined) checkInt("offset", filter.offset, 0, Number.MAX_SAFE_INTEGER);
    return (await this.backend()).listDeadLetters(checkFilterTags(filter));
  }

  async count(filter: DeadLetterFilter = {}): Promise<number> {
    return (await this.backend()).countDeadLetters(checkFilterTags(filter));
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
    return (await this.backend()).purgeDeadLetters(checkFilterTags(filter));
  }

  /**
   * Merge `tags` into a row's tags (Python's `add_tags_to_job`): keys are non-empty strings, values
   * non-empty strings, finite numbers or booleans. Returns false when the row is missing. Rows
   * Python tagged (a double-encoded JSON string) are decoded and written back as a JSON object.
   */
  async addTags(id: string, tags: Record<string, DeadLetterTagValue>): Promise<boolean> {
    if (typeof id !== "string" || id.length === 0) {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `addTags(id, tags): id must be a non-empty string, got ${show(id)}`, { id });
    }
    const clean = checkTags("addTags(id, tags): tags", tags, false);
    return (await this.backend()).tagDeadLetter(id, clean);
  }

  /** Delete rows moved to the dead-letter queue more than `days` days ago (default 30). Returns how many. */
  async cleanup(days = 30): Promise<number> {
    if (typeof days !== "number" || !Number.isFinite(days) || days < 0) {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `cleanup(days): days must be a number >= 0, got ${show(days)}`, { days });
    }
    return (await this.backend()).purgeDeadLetters({ before: new Date(Date.now() - days * 86_400_000) });
  }

  /**
   * Totals by job name, queue and reason, the oldest row's age, replays, and `byDate` (the last 7
   * days by UTC day). With `hours`, only rows moved within the last `hours` hours count (`byDate`
   * excepted, as in Python).
   */
  async stats(options: DeadLetterStatsOptions = {}): Promise<DeadLetterStats> {
    if (typeof options !== "object" || options === null || Array.isArray(options)) {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `stats(options): options must be an object like { hours: 24 }, got ${show(options)}`, { options });
    }
    const { hours } = options;
    if (hours !== undefined && (typeof hours !== "number" || !Number.isFinite(hours) || hours <= 0 || hours > MAX_STATS_HOURS)) {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `stats({ hours }): hours must be a number > 0 and <= ${MAX_STATS_HOURS}, got ${show(hours)}`, { hours });
    }
    return (await this.backend()).deadLetterStats(hours === undefined ? {} : { hours });
  }

  /** The rows as JSON (an array) or CSV (header + one line per row). */
  async export(filter: DeadLetterFilter = {}, format: "json" | "csv" = "json"): Promise<string> {
    const rows = await this.list({ limit: 1_000_000, ...filter });
    if (format === "json") return JSON.stringify(rows, null, 2);
    const header = ["id", "job_name", "queue", "priority", "attempts", "max_attempts", "reason", "moved_at", "original_created_at", "resurrection_count", "args", "last_error", "tags"];
    const lines = rows.map((r) =>
      [r.id, r.jobName, r.queue, r.priority, r.attempts, r.maxAttempts, r.reason, r.movedAt.toISOString(), r.originalCreatedAt.toISOString(), r.resurrectionCount, JSON.stringify(r.args), r.lastError ?? "", r.tags ? JSON.stringify(r.tags) : ""]
        .map(csvCell)
        .join(","),
    );
    return [header.join(","), ...lines].join("\n") + "\n";
  }
}

function badTags(what: string, message: string, context: Record<string, unknown>): never {
  throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `${what} ${message}`, context);
}

/**
 * Tags as given, checked: a plain object (non-empty unless `allowEmpty`) whose keys are non-empty
 * strings of at most MAX_TAG_KEY_LENGTH units and whose values are non-empty strings of at most
 * MAX_TAG_VALUE_LENGTH units, finite numbers or booleans; no NUL or lone surrogate anywhere (no
 * backend may store what PostgreSQL's jsonb refuses). Returns a plain copy.
 */
function checkTags(what: string, tags: unknown, allowEmpty: boolean): Record<string, DeadLetterTagValue> {
  if (typeof tags !== "object" || tags === null || Array.isArray(tags)) {
    badTags(what, `must be an object of key -> string, number or boolean, got ${show(tags)}`, { tags });
  }
  const proto = Object.getPrototypeOf(tags);
  if (proto !== Object.prototype && proto !== null) badTags(what, `must be a plain object, got ${Object.prototype.toString.call(tags)}`, { tags });
  const entries = Object.entries(tags as Record<string, unknown>);
  if (entries.length === 0 && !allowEmpty) badTags(what, "must hold at least one tag", { tags });
  const out: Record<string, DeadLetterTagValue> = {};
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > MAX_TAG_KEY_LENGTH || !isStorableText(key)) {
      badTags(what, `keys must be non-empty strings of at most ${MAX_TAG_KEY_LENGTH} characters (no NUL), got ${show(key)}`, { key });
    }
    const ok =
      typeof value === "boolean" ||
      (typeof value === "number" && Number.isFinite(value)) ||
      (typeof value === "string" && value.length > 0 && value.length <= MAX_TAG_VALUE_LENGTH && isStorableText(value));
    if (!ok) {
      badTags(
        what,
        `${show(key)} must be a non-empty string of at most ${MAX_TAG_VALUE_LENGTH} characters (no NUL), a finite number or a boolean, got ${show(value)}`,
        { key, value },
      );
    }
    out[key] = value as DeadLetterTagValue;
  }
  return out;
}

/** The filter with its `tags` checked (an empty object is no tag filter). */
function checkFilterTags(filter: DeadLetterFilter): DeadLetterFilter {
  if (filter.tags === undefined) return filter;
  return { ...filter, tags: checkTags("filter.tags", filter.tags, true) };
}

function csvCell(value: unknown): string {
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Dead-letter tags and statistics, the parts every backend shares.
 *
 * Tags are a JSON object in `soniq_dead_letter_jobs.tags`. Python's `mark_job_dead_letter` stores
 * them double-encoded (a JSON *string* holding the object; python-soniq-behaviour.md, EDGE), so
 * reading accepts both and a merge writes the object back. The SQL side of the same rule lives in
 * sql/postgres/queries/dead_letter_tags.sql and sql/sqlite/dead_letter_tags.sql.
 */
import type { DeadLetterFilter, DeadLetterTagValue } from "./types.ts";

/** `byDate` covers this many days back from now (Python: `moved_to_dead_letter_at >= NOW() - 7 days`). */
export const BY_DATE_DAYS = 7;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A stored tags value as an object: the object itself, or the object inside a JSON string (Python's rows); else null. */
export function decodeTags(value: unknown): Record<string, unknown> | null {
  if (isPlainObject(value)) return value;
  if (typeof value !== "string") return null;
  try {
    const inner = JSON.parse(value);
    return isPlainObject(inner) ? inner : null;
  } catch {
    return null;
  }
}

/** Tags stored as JSON text (SQLite's column, the memory backend): parsed, then as `decodeTags`. */
export function decodeTagsText(text: string | null | undefined): Record<string, unknown> | null {
  if (text === null || text === undefined) return null;
  try {
    return decodeTags(JSON.parse(text));
  } catch {
    return null;
  }
}

/** A tag as text, the way Postgres's `tags ->> key` shows it; null for JSON null or a missing key. */
export function tagText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** The filter's tags as the SQL parameter: a JSON object of key -> text, or null when there is no tag filter. */
export function tagFilterParam(tags: DeadLetterFilter["tags"]): string | null {
  if (!tags) return null;
  const entries = Object.entries(tags);
  if (entries.length === 0) return null;
  return JSON.stringify(Object.fromEntries(entries.map(([k, v]) => [k, String(v)])));
}

/** Whether stored tags (any shape) hold every wanted pair, compared as text. */
export function tagsMatch(stored: unknown, wanted: DeadLetterFilter["tags"]): boolean {
  if (!wanted) return true;
  const entries = Object.entries(wanted);
  if (entries.length === 0) return true;
  const tags = decodeTags(stored);
  if (!tags) return false;
  return entries.every(([k, v]) => Object.hasOwn(tags, k) && tagText(tags[k]) === String(v));
}

/** Stored tags merged with new ones: always a JSON object (Python's double-encoded string is decoded first). */
export function mergeTags(stored: unknown, tags: Record<string, DeadLetterTagValue>): Record<string, unknown> {
  return { ...(decodeTags(stored) ?? {}), ...tags };
}

/** `'YYYY-MM-DD'` of an epoch-ms instant, in UTC. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Python's `resurrection_success_rate`: percent of rows replayed at least once; 0 with no rows. */
export function resurrectionRate(resurrected: number, total: number): number {
  return total > 0 ? (resurrected / total) * 100 : 0;
}

/**
 * Cron evaluation. `cron-schedule` parses the expression (its fields, aliases, ranges, steps and
 * day-of-month/day-of-week rules); the next run is then searched on those fields in wall-clock
 * time of the schedule's time zone (UTC unless one is given). `cron-schedule`'s own
 * `getNextDate` reads the process's local time zone, so it is not used for the search: results
 * do not depend on the TZ of the machine running the scheduler.
 *
 * Daylight-saving time, for schedules with a time zone: a wall time that does not exist (the
 * spring-forward gap) runs shifted forward by the gap (02:30 becomes 03:30), and a wall time that
 * occurs twice (fall back) runs once, at its first occurrence.
 */
import { parseCronExpression, type Cron } from "cron-schedule";
import { ErrorCodes, SoniqError } from "../errors.ts";

const NICKNAMES: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

interface Fields {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>; // 0..11
  weekdays: Set<number>; // 0..6, Sunday = 0
  daysRestricted: boolean;
  weekdaysRestricted: boolean;
}

/** A parsed cron expression bound to a time zone. */
export interface CronSchedule {
  readonly expression: string;
  /** IANA name, or null for UTC. */
  readonly timezone: string | null;
  /** The first run strictly after `after`. */
  next(after: Date): Date;
}

function invalid(expression: unknown, reason: string): SoniqError {
  return new SoniqError(
    ErrorCodes.INVALID_SCHEDULE,
    `Invalid cron expression: ${JSON.stringify(expression)}. Expected a 5-field cron expression (minute hour day-of-month month day-of-week), e.g. "*/15 * * * *": ${reason}`,
    { cron: expression, reason },
  );
}

/** Parse and check a 5-field cron expression (or @daily, @hourly, ...). Throws SONIQ_INVALID_SCHEDULE. */
export function parseCron(expression: unknown, timezone: string | null = null): CronSchedule {
  if (typeof expression !== "string") throw invalid(expression, `a cron expression must be a string, got ${typeof expression}`);
  const trimmed = expression.trim();
  const text = NICKNAMES[trimmed.toLowerCase()] ?? trimmed;
  if (text.startsWith("@")) throw invalid(expression, `unknown nickname (use one of ${Object.keys(NICKNAMES).join(", ")})`);
  const parts = text.split(/\s+/).filter(Boolean);
  // Python Soniq reads this column with croniter, whose optional 6th field is seconds at the end
  // while cron-schedule's is seconds at the start: only 5 fields mean the same thing to both.
  if (parts.length !== 5) throw invalid(expression, `expected 5 fields, got ${parts.length}`);
  let parsed: Cron;
  try {
    parsed = parseCronExpression(parts.join(" "));
  } catch (error) {
    throw invalid(expression, (error as Error).message);
  }
  const fields: Fields = {
    minutes: new Set(parsed.minutes),
    hours: new Set(parsed.hours),
    days: new Set(parsed.days),
    months: new Set(parsed.months),
    weekdays: new Set(parsed.weekdays),
    // cron-schedule's rule: when both are restricted a day matches either (classic cron), else both.
    daysRestricted: parsed.days.length !== 31,
    weekdaysRestricted: parsed.weekdays.length !== 7,
  };
  const zone = timezone === null ? null : checkTimeZone(timezone);
  const schedule: CronSchedule = {
    expression: trimmed,
    timezone: zone,
    next: (after: Date) => (zone === null ? new Date(nextWall(fields, after.getTime(), expression)) : nextInZone(fields, after.getTime(), zone, expression)),
  };
  // An expression that can never match (e.g. "0 0 30 2 *") is refused here, not at the first tick.
  schedule.next(new Date());
  return schedule;
}

// ---------------------------------------------------------------- wall-clock search

const SECOND = 1000;
const MAX_STEPS = 200_000;

function dayMatches(f: Fields, d: Date): boolean {
  if (!f.daysRestricted && !f.weekdaysRestricted) return true;
  const byDay = f.daysRestricted && f.days.has(d.getUTCDate());
  const byWeekday = f.weekdaysRestricted && f.weekdays.has(d.getUTCDay());
  if (f.daysRestricted && f.weekdaysRestricted) return byDay || byWeekday;
  return f.daysRestricted ? byDay : byWeekday;
}

/**
 * The first matching wall time (whole minute) strictly after `afterWall`. Wall times are
 * milliseconds read through UTC fields: a calendar with no DST, so the search is exact.
 */
function nextWall(f: Fields, afterWall: number, expression: unknown): number {
  let t = Math.floor(afterWall / SECOND) * SECOND + SECOND;
  for (let i = 0; i < MAX_STEPS; i++) {
    const d = new Date(t);
    const y = d.getUTCFullYear();
    const mo = d.getUTCMonth();
    const day = d.getUTCDate();
    const h = d.getUTCHours();
    const mi = d.getUTCMinutes();
    if (y > 9999) break;
    if (!f.months.has(mo)) t = Date.UTC(y, mo + 1, 1);
    else if (!dayMatches(f, d)) t = Date.UTC(y, mo, day + 1);
    else if (!f.hours.has(h)) t = Date.UTC(y, mo, day, h + 1);
    else if (!f.minutes.has(mi)) t = Date.UTC(y, mo, day, h, mi + 1);
    else if (d.getUTCSeconds() !== 0 || d.getUTCMilliseconds() !== 0) t = Date.UTC(y, mo, day, h, mi + 1);
    else return t;
  }
  throw invalid(expression, "it never matches a date");
}

// ---------------------------------------------------------------- time zones

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The canonical IANA name, or SONIQ_INVALID_SCHEDULE. "UTC" and its aliases give null (plain UTC). */
export function checkTimeZone(zone: unknown): string | null {
  if (typeof zone !== "string" || zone.trim() === "") {
    throw new SoniqError(ErrorCodes.INVALID_SCHEDULE, `timezone must be an IANA time-zone name such as "Europe/Paris", got ${JSON.stringify(zone)}`, { timezone: zone });
  }
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: zone.trim() }).resolvedOptions().timeZone;
  } catch {
    throw new SoniqError(ErrorCodes.INVALID_SCHEDULE, `unknown time zone ${JSON.stringify(zone)} (expected an IANA name such as "Europe/Paris")`, { timezone: zone });
  }
  return ["UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu", "Etc/UCT", "UCT", "Etc/Greenwich", "Greenwich"].includes(resolved)
    ? null
    : resolved;
}

/** Wall-clock time in `zone` at `instant` (whole seconds), as UTC-field milliseconds. */
export function wallTime(instant: number, zone: string): number {
  const parts: Record<string, string> = {};
  for (const p of formatter(zone).formatToParts(new Date(instant))) parts[p.type] = p.value;
  let year = Number(parts.year);
  if (parts.era === "BC" || parts.era === "B") year = 1 - year;
  const hour = Number(parts.hour) % 24;
  const wall = new Date(0);
  wall.setUTCFullYear(year, Number(parts.month) - 1, Number(parts.day));
  wall.setUTCHours(hour, Number(parts.minute), Number(parts.second), 0);
  return wall.getTime();
}

/** Offset of `zone` from UTC at `instant`, in milliseconds (whole seconds). */
function offsetAt(instant: number, zone: string): number {
  const whole = Math.floor(instant / SECOND) * SECOND;
  return wallTime(whole, zone) - whole;
}

const DAY = 86_400_000;

function nextInZone(f: Fields, after: number, zone: string, expression: unknown): Date {
  let wall = wallTime(after, zone) + (after - Math.floor(after / SECOND) * SECOND);
  for (let i = 0; i < 1000; i++) {
    const w = nextWall(f, wall, expression);
    // Offsets a day either side cover any single transition around w.
    const before = offsetAt(w - DAY, zone);
    const afterOffset = offsetAt(w + DAY, zone);
    const candidates = [...new Set([w - before, w - afterOffset])].sort((a, b) => a - b);
    const valid = candidates.filter((t) => t > after && wallTime(t, zone) === w);
    if (valid.length > 0) return new Date(valid[0]!);
    const existsAtAll = candidates.some((t) => wallTime(t, zone) === w);
    if (!existsAtAll) {
      // In the spring-forward gap: run shifted forward by the gap ("compatible" disambiguation).
      const shifted = w - before;
      if (shifted > after) return new Date(shifted);
    }
    wall = w;
  }
  throw invalid(expression, "no next run found");
}

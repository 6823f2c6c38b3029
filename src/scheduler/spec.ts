/**
 * A schedule's "when": an interval in seconds or a cron expression (with an optional time zone),
 * and how it is stored in `soniq_recurring_jobs` (`schedule_type`, `schedule_value`).
 *
 * - interval: `schedule_type = 'interval'`, `schedule_value` = whole seconds as text ("30").
 * - cron: `schedule_type = 'cron'`, `schedule_value` = the expression ("0 9 * * 1"). A schedule
 *   with a time zone stores `CRON_TZ=<zone> <expression>` (cronie's spelling), since the table,
 *   shared with Python Soniq, has no time-zone column. Python Soniq cannot read that form.
 */
import { ErrorCodes, SoniqError } from "../errors.ts";
import { parseCron, checkTimeZone, type CronSchedule } from "./cron.ts";
import { CronBuilder, Interval, type CronInput, type EveryInput } from "./dsl.ts";

export type ScheduleSpec =
  | { readonly type: "interval"; readonly seconds: number }
  | { readonly type: "cron"; readonly cron: CronSchedule };

export interface ScheduleWhen {
  cron?: CronInput;
  every?: EveryInput;
  /** IANA time zone for `cron` (default UTC). */
  timezone?: string;
}

function invalid(message: string, context: Record<string, unknown> = {}): SoniqError {
  return new SoniqError(ErrorCodes.INVALID_SCHEDULE, message, context);
}

/** Check `{ cron | every, timezone? }`: exactly one of cron/every. Throws SONIQ_INVALID_SCHEDULE. */
export function parseWhen(when: ScheduleWhen, caller: string): ScheduleSpec {
  const hasCron = when.cron !== undefined && when.cron !== null;
  const hasEvery = when.every !== undefined && when.every !== null;
  if (hasCron && hasEvery) throw invalid(`${caller} cannot accept both cron and every; pass exactly one`);
  if (!hasCron && !hasEvery) throw invalid(`${caller} requires either cron or every`);
  if (hasEvery) {
    if (when.timezone !== undefined && when.timezone !== null) throw invalid(`${caller}: timezone applies to cron schedules only, not every`, { timezone: when.timezone });
    return { type: "interval", seconds: parseEvery(when.every) };
  }
  const cron = when.cron;
  if (typeof cron !== "string" && !(cron instanceof CronBuilder)) {
    throw invalid(`${caller}: cron must be a cron string or a builder such as daily().at("09:00"), got ${describe(cron)}`, { cron: describe(cron) });
  }
  const timezone = when.timezone === undefined || when.timezone === null ? null : checkTimeZone(when.timezone);
  return { type: "cron", cron: parseCron(String(cron), timezone) };
}

function parseEvery(every: unknown): number {
  if (every instanceof Interval) return every.seconds;
  if (typeof every === "number" && Number.isFinite(every) && every >= 1) return Math.trunc(every);
  if (typeof every === "number") throw invalid(`every must be at least 1 second, got ${every}`, { every });
  if (typeof every === "string") {
    throw invalid(`every takes seconds (a number) or every(n).seconds(); pass cron strings such as ${JSON.stringify(every)} as cron`, { every });
  }
  throw invalid(`every must be seconds (a number >= 1) or every(n).seconds(), got ${describe(every)}`, { every: describe(every) });
}

function describe(x: unknown): string {
  return x === null ? "null" : Array.isArray(x) ? "array" : typeof x;
}

/** `schedule_type` and `schedule_value` for the table. */
export function encodeSpec(spec: ScheduleSpec): { scheduleType: "interval" | "cron"; scheduleValue: string } {
  if (spec.type === "interval") return { scheduleType: "interval", scheduleValue: String(spec.seconds) };
  const { expression, timezone } = spec.cron;
  return { scheduleType: "cron", scheduleValue: timezone ? `CRON_TZ=${timezone} ${expression}` : expression };
}

const TZ_PREFIX = /^\s*CRON_TZ=(\S+)\s+(.*)$/s;

/** Read a stored schedule back. Throws SONIQ_INVALID_SCHEDULE for a value this build cannot evaluate. */
export function decodeSpec(scheduleType: string, scheduleValue: string): ScheduleSpec {
  if (scheduleType === "interval") {
    const seconds = Number(scheduleValue);
    if (!Number.isFinite(seconds) || seconds < 1) throw invalid(`stored interval ${JSON.stringify(scheduleValue)} is not a number of seconds >= 1`, { scheduleValue });
    return { type: "interval", seconds: Math.trunc(seconds) };
  }
  if (scheduleType === "cron") {
    const m = TZ_PREFIX.exec(scheduleValue);
    return { type: "cron", cron: m ? parseCron(m[2]!, m[1]!) : parseCron(scheduleValue) };
  }
  throw invalid(`unknown schedule_type ${JSON.stringify(scheduleType)}`, { scheduleType });
}

/** The first run strictly after `after`. */
export function nextRunAfter(spec: ScheduleSpec, after: Date): Date {
  return spec.type === "interval" ? new Date(after.getTime() + spec.seconds * 1000) : spec.cron.next(after);
}

/** A readable description: "every 30s", "0 9 * * 1", "0 9 * * 1 (Europe/Paris)". */
export function describeSpec(spec: ScheduleSpec): string {
  if (spec.type === "interval") return `every ${spec.seconds}s`;
  return spec.cron.timezone ? `${spec.cron.expression} (${spec.cron.timezone})` : spec.cron.expression;
}

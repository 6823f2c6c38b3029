/**
 * The cron-string DSL: small builders that return plain 5-field cron strings (and, for
 * `every(n).seconds()`, an interval value), so `cron: daily().at("09:00")` reads like prose
 * and stores exactly what Python Soniq stores.
 *
 *   every(5).minutes()                  "*\/5 * * * *"
 *   every(2).hours()                    "0 *\/2 * * *"
 *   every(3).days()                     "0 0 *\/3 * *"
 *   every(30).seconds()                 Interval (30 s), for `every:`
 *   daily().at("09:00")                 "0 9 * * *"      String(daily())   == "0 0 * * *"
 *   weekly().on("monday").at("09:00")   "0 9 * * 1"      String(weekly())  == "0 0 * * 0"
 *   monthly().onDay(15).at("12:00")     "0 12 15 * *"    String(monthly()) == "0 0 1 * *"
 *   cron("*\/15 * * * *")               "*\/15 * * * *"  (checked, returned unchanged)
 */
import { ErrorCodes, SoniqError } from "../errors.ts";
import { parseCron } from "./cron.ts";

function invalid(message: string, context: Record<string, unknown> = {}): SoniqError {
  return new SoniqError(ErrorCodes.INVALID_SCHEDULE, message, context);
}

/** A fixed interval, usable as `every:` in `app.periodic` and `app.scheduler.add`. */
export class Interval {
  readonly seconds: number;
  constructor(seconds: number) {
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 1) {
      throw invalid(`an interval must be at least 1 second, got ${JSON.stringify(seconds)}`, { seconds });
    }
    this.seconds = Math.trunc(seconds);
    Object.freeze(this);
  }
  valueOf(): number {
    return this.seconds;
  }
  toString(): string {
    return `every ${this.seconds}s`;
  }
  toJSON(): { every: number } {
    return { every: this.seconds };
  }
}

/** Base of the builders whose `String()` is a cron expression (`daily()`, `weekly()`, `monthly()`). */
export abstract class CronBuilder {
  abstract toString(): string;
  toJSON(): string {
    return this.toString();
  }
}

export class EveryBuilder {
  readonly n: number;
  constructor(n: number) {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1) throw invalid(`every(n): n must be an integer >= 1, got ${JSON.stringify(n)}`, { n });
    this.n = n;
  }
  /** An interval of n seconds (not a cron string: cron has no seconds field). */
  seconds(): Interval {
    return new Interval(this.n);
  }
  /** `"*\/n * * * *"`; n must be 1..59 (a step resets at the top of each hour). */
  minutes(): string {
    this.max("minutes", 59, `every(${this.n * 60}).seconds()`);
    return `*/${this.n} * * * *`;
  }
  /** `"0 *\/n * * *"`; n must be 1..23 (a step resets at midnight). */
  hours(): string {
    this.max("hours", 23, `every(${this.n * 3600}).seconds()`);
    return `0 */${this.n} * * *`;
  }
  /** `"0 0 *\/n * *"`; n must be 1..31 (a step resets on the 1st of each month). */
  days(): string {
    this.max("days", 31, `every(${this.n * 86400}).seconds()`);
    return `0 0 */${this.n} * *`;
  }
  private max(unit: string, max: number, hint: string): void {
    if (this.n > max) {
      throw invalid(`every(${this.n}).${unit}() has no cron equivalent (at most ${max}); use ${hint} as an interval instead`, { n: this.n, unit });
    }
  }
}

/** `every(5).minutes()`, `every(2).hours()`, `every(3).days()`, `every(30).seconds()`. */
export function every(n: number): EveryBuilder {
  return new EveryBuilder(n);
}

const TIME_RE = /^(\d{1,2}):(\d{2})$/;
function parseTime(time: unknown): { hour: number; minute: number } {
  const m = typeof time === "string" ? TIME_RE.exec(time.trim()) : null;
  const hour = m ? Number(m[1]) : NaN;
  const minute = m ? Number(m[2]) : NaN;
  if (!m || hour > 23 || minute > 59) throw invalid(`time must be "HH:MM" (00:00 to 23:59), got ${JSON.stringify(time)}`, { time });
  return { hour, minute };
}

export class DailyBuilder extends CronBuilder {
  /** `"M H * * *"` */
  at(time: string): string {
    const { hour, minute } = parseTime(time);
    return `${minute} ${hour} * * *`;
  }
  toString(): string {
    return "0 0 * * *";
  }
}

/** Every day at midnight UTC; `.at("09:00")` for another time. */
export function daily(): DailyBuilder {
  return new DailyBuilder();
}

const DAYS: Record<string, number> = {
  sunday: 0, sun: 0,
  monday: 1, mon: 1,
  tuesday: 2, tue: 2, tues: 2,
  wednesday: 3, wed: 3,
  thursday: 4, thu: 4, thur: 4, thurs: 4,
  friday: 5, fri: 5,
  saturday: 6, sat: 6,
};

export type Weekday = "sunday" | "monday" | "tuesday" | "wednesday" | "thursday" | "friday" | "saturday" | "sun" | "mon" | "tue" | "wed" | "thu" | "fri" | "sat";

function parseWeekday(day: unknown): number {
  if (typeof day === "number" && Number.isInteger(day) && day >= 0 && day <= 6) return day;
  if (typeof day === "string" && Object.hasOwn(DAYS, day.trim().toLowerCase())) return DAYS[day.trim().toLowerCase()]!;
  throw invalid(`day must be a weekday name (monday, mon, ...) or 0-6 with Sunday = 0, got ${JSON.stringify(day)}`, { day });
}

export class WeeklyOnBuilder extends CronBuilder {
  readonly day: number;
  constructor(day: number) {
    super();
    this.day = day;
  }
  /** `"M H * * D"` */
  at(time: string): string {
    const { hour, minute } = parseTime(time);
    return `${minute} ${hour} * * ${this.day}`;
  }
  toString(): string {
    return `0 0 * * ${this.day}`;
  }
}

export class WeeklyBuilder extends CronBuilder {
  /** A weekday name (case-insensitive, full or three letters) or 0-6 with Sunday = 0. */
  on(day: Weekday | (string & {}) | number): WeeklyOnBuilder {
    return new WeeklyOnBuilder(parseWeekday(day));
  }
  /** Sundays at this time. */
  at(time: string): string {
    return new WeeklyOnBuilder(0).at(time);
  }
  toString(): string {
    return "0 0 * * 0";
  }
}

/** Sundays at midnight UTC; `.on("monday").at("09:00")` for another day and time. */
export function weekly(): WeeklyBuilder {
  return new WeeklyBuilder();
}

export class MonthlyOnBuilder extends CronBuilder {
  readonly dayOfMonth: number;
  constructor(dayOfMonth: number) {
    super();
    this.dayOfMonth = dayOfMonth;
  }
  /** `"M H D * *"` */
  at(time: string): string {
    const { hour, minute } = parseTime(time);
    return `${minute} ${hour} ${this.dayOfMonth} * *`;
  }
  toString(): string {
    return `0 0 ${this.dayOfMonth} * *`;
  }
}

export class MonthlyBuilder extends CronBuilder {
  /** Day of month 1..31 (months without that day are skipped, as in cron). */
  onDay(day: number): MonthlyOnBuilder {
    if (typeof day !== "number" || !Number.isInteger(day) || day < 1 || day > 31) {
      throw invalid(`onDay(day): day must be an integer from 1 to 31, got ${JSON.stringify(day)}`, { day });
    }
    return new MonthlyOnBuilder(day);
  }
  /** The 1st of each month at this time. */
  at(time: string): string {
    return new MonthlyOnBuilder(1).at(time);
  }
  toString(): string {
    return "0 0 1 * *";
  }
}

/** The 1st of each month at midnight UTC; `.onDay(15).at("12:00")` for another day and time. */
export function monthly(): MonthlyBuilder {
  return new MonthlyBuilder();
}

/** A cron expression, checked and returned unchanged: `cron("*\/15 * * * *")`. */
export function cron(expression: string): string {
  if (typeof expression !== "string") throw invalid(`cron(expression): expression must be a string, got ${typeof expression}`);
  parseCron(expression);
  return expression;
}

/** What `cron:` accepts: a cron string or one of the builders above. */
export type CronInput = string | CronBuilder;
/** What `every:` accepts: seconds (a number >= 1) or `every(n).seconds()`. */
export type EveryInput = number | Interval;

/**
 * What a handler can return or throw to steer its job beyond "done" and "failed". Both are
 * recognised across copies of the library (a job module with its own install), by brand.
 */
import { ErrorCodes, SoniqError } from "../errors.ts";

const SNOOZE: unique symbol = Symbol.for("soniq.snooze") as never;
const PERMANENT: unique symbol = Symbol.for("soniq.permanent_error") as never;

/**
 * `return new Snooze(seconds, reason?)` from a handler: the job goes back to the queue to run
 * again after `seconds`, without spending an attempt (capped by `snoozeMaxSeconds`). Its
 * `lastError` becomes "SNOOZE: reason" (or "SNOOZE"); afterJob hooks do not run.
 */
export class Snooze {
  readonly [SNOOZE] = true;
  readonly seconds: number;
  readonly reason: string | null;

  constructor(seconds: number, reason?: string) {
    if (typeof seconds !== "number" || Number.isNaN(seconds)) {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, "Snooze(seconds): seconds must be a number");
    }
    if (reason !== undefined && typeof reason !== "string") {
      throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, "Snooze(seconds, reason): reason must be a string");
    }
    this.seconds = Math.max(0, seconds);
    this.reason = reason ?? null;
    Object.freeze(this);
  }
}

export function isSnooze(value: unknown): value is Snooze {
  return typeof value === "object" && value !== null && (value as { [SNOOZE]?: unknown })[SNOOZE] === true;
}

/**
 * `throw new PermanentError(message)` from a handler: no more attempts. The job is dead-lettered
 * at once with reason `permanent_failure`, whatever retries remain.
 */
export class PermanentError extends Error {
  readonly [PERMANENT] = true;
  override readonly name: string = "PermanentError";
}

export function isPermanentError(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { [PERMANENT]?: unknown })[PERMANENT] === true;
}

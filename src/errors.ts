/** Stable error codes. Callers match on `code`, never on message text. */
export const ErrorCodes = {
  UNKNOWN_TASK_NAME: "SONIQ_UNKNOWN_TASK_NAME",
  INVALID_TASK_NAME: "SONIQ_INVALID_TASK_NAME",
  VALIDATION_FAILED: "SONIQ_VALIDATION_FAILED",
  INVALID_ARGUMENT: "SONIQ_INVALID_ARGUMENT",
  NOT_SERIALIZABLE: "SONIQ_NOT_SERIALIZABLE",
  ARGS_TOO_LARGE: "SONIQ_ARGS_TOO_LARGE",
  INVALID_SETTING: "SONIQ_INVALID_SETTING",
  INVALID_DATABASE_URL: "SONIQ_INVALID_DATABASE_URL",
  UNSUPPORTED: "SONIQ_UNSUPPORTED",
  APP_CLOSED: "SONIQ_APP_CLOSED",
  INIT_ERROR: "SONIQ_INIT_ERROR",
  POOL_TOO_SMALL: "SONIQ_POOL_TOO_SMALL",
  MIGRATION_FAILED: "SONIQ_MIGRATION_FAILED",
  INVALID_SCHEDULE: "SONIQ_INVALID_SCHEDULE",
  NOT_FOUND: "SONIQ_NOT_FOUND",
  WORKER_RUNNING: "SONIQ_WORKER_RUNNING",
  /** The database could not be reached (or is restarting): nothing is known to be written. */
  UNAVAILABLE: "SONIQ_UNAVAILABLE",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class SoniqError extends Error {
  override readonly name = "SoniqError";
  readonly code: ErrorCode;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(`[${code}] ${message}`, options);
    this.code = code;
    this.context = context;
  }
}

export function isSoniqError(error: unknown, code?: ErrorCode): error is SoniqError {
  return error instanceof SoniqError && (code === undefined || error.code === code);
}

/** A short, never-throwing rendering of any value for error messages (BigInt, symbols, cycles). */
export function show(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol" || typeof value === "function") return String(value);
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

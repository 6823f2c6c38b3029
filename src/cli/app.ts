/**
 * Building the `Soniq` app a command works on, and parsing flag values. Flags beat SONIQ_*
 * environment variables (they are passed as constructor options), which beat defaults.
 */
import { resolve as resolvePath } from "node:path";
import { redactUrl as redactDatabaseUrl } from "../core/redact.ts";
import { isSoniqError } from "../errors.ts";
import { Soniq } from "../soniq.ts";
import { UsageError } from "./exit.ts";

/** Flags every database command accepts. */
export const dbArgs = {
  "database-url": {
    type: "string",
    valueHint: "url",
    description: "postgres://..., sqlite:PATH, *.db or memory: (default: $SONIQ_DATABASE_URL, else ./soniq.db)",
  },
  "log-level": {
    type: "string",
    valueHint: "level",
    description: "debug, info, warn, error or silent (default: $SONIQ_LOG_LEVEL, else warn)",
  },
} as const;

/** `--json` for read commands. */
export const jsonArg = {
  json: { type: "boolean", description: "print machine-readable JSON on stdout" },
} as const;

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
const LEVEL_ALIASES: Record<string, LogLevel> = {
  debug: "debug",
  info: "info",
  warn: "warn",
  warning: "warn",
  error: "error",
  critical: "error",
  silent: "silent",
};

/** A string flag's value; `--flag` with nothing after it is a usage error. */
export function stringFlag(value: unknown, flag: string): string | undefined {
  if (value === undefined || value === null || value === false) return undefined;
  if (value === true || (typeof value === "string" && value.trim() === "")) throw new UsageError(`${flag} needs a value`);
  if (typeof value !== "string") throw new UsageError(`${flag} needs a single value`);
  return value;
}

/** An integer flag within bounds; anything else (`abc`, `1.5`, `-1`) is a usage error. */
export function intFlag(value: unknown, flag: string, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
  const raw = stringFlag(value, flag);
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (!/^[+-]?\d+$/.test(text)) throw new UsageError(`${flag} must be an integer, got ${JSON.stringify(raw)}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be between ${min} and ${max}, got ${text}`);
  }
  return n;
}

/** A comma-separated list flag (`a,b`); empty items are dropped. */
export function listFlag(value: unknown, flag: string): string[] | undefined {
  const raw = stringFlag(value, flag);
  if (raw === undefined) return undefined;
  const items = raw.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`${flag} needs at least one value`);
  return items;
}

/**
 * Every value of a repeatable string flag, in order (`--tag a=1 --tag b=2`, `--tag=a=1`): citty
 * keeps only the last one. `defs` are the command's args, so other flags' values are skipped.
 * Undefined when the flag is not given.
 */
export function repeatedFlag(rawArgs: readonly string[], flag: string, defs: Record<string, { type?: string }>): string[] | undefined {
  const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const valueFlags = new Set<string>();
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "string" || def.type === "enum") valueFlags.add(name).add(camel(name));
  }
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i]!;
    if (token === "--") break;
    if (!token.startsWith("--")) continue;
    const eq = token.indexOf("=");
    const name = token.slice(2, eq === -1 ? undefined : eq);
    if (name === flag) {
      if (eq !== -1) values.push(token.slice(eq + 1));
      else if (i + 1 < rawArgs.length) values.push(rawArgs[++i]!);
      else throw new UsageError(`--${flag} needs a value`);
    } else if (eq === -1 && valueFlags.has(name)) i++;
  }
  return values.length ? values : undefined;
}

/** `--log-level`; accepts any case and the aliases `warning` and `critical`. */
export function logLevelFlag(value: unknown): LogLevel | undefined {
  const raw = stringFlag(value, "--log-level");
  if (raw === undefined) return undefined;
  const level = LEVEL_ALIASES[raw.trim().toLowerCase()];
  if (!level) throw new UsageError(`--log-level must be one of debug, info, warn, error, silent; got ${JSON.stringify(raw)}`);
  return level;
}

export interface DbFlags {
  "database-url"?: unknown;
  "log-level"?: unknown;
}

/**
 * The app for a management command: `--database-url` beats SONIQ_DATABASE_URL, and the log
 * level defaults to `warn` (so JSON log lines do not drown the output) unless
 * `--log-level` or SONIQ_LOG_LEVEL says otherwise.
 */
export function buildApp(flags: DbFlags): Soniq {
  const databaseUrl = stringFlag(flags["database-url"], "--database-url");
  const logLevel = logLevelFlag(flags["log-level"]) ?? (process.env.SONIQ_LOG_LEVEL ? undefined : "warn");
  return new Soniq({
    ...(databaseUrl !== undefined ? { databaseUrl } : {}),
    ...(logLevel !== undefined ? { logLevel } : {}),
  });
}

/** Build the app, run `fn`, and always close it (connections would keep the process alive). */
export async function withApp<T>(flags: DbFlags, fn: (app: Soniq) => Promise<T>): Promise<T> {
  const app = buildApp(flags);
  try {
    return await fn(app);
  } finally {
    await app.close().catch(() => {});
  }
}

/** Hide the credentials in a database URL before printing it (src/core/redact.ts); no URL is the default SQLite file. */
export function redactUrl(url: string | undefined): string {
  if (url === undefined) return "./soniq.db (default SQLite file)";
  return redactDatabaseUrl(url);
}

/** A database URL in a canonical form, so `postgresql://Host/db` and `postgres://host:5432/db/` compare equal. */
export function normalizeDatabaseUrl(url: string | undefined): string {
  if (url === undefined) return `sqlite:${resolvePath("./soniq.db")}`;
  const trimmed = url.trim();
  if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    try {
      const u = new URL(trimmed.replace(/^postgres(ql)?:/i, "postgres:"));
      const params = [...u.searchParams.entries()].sort(([a], [b]) => a.localeCompare(b));
      const query = params.length ? `?${new URLSearchParams(params).toString()}` : "";
      const path = u.pathname.replace(/\/+$/, "");
      return `postgres://${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}@${u.hostname.toLowerCase()}:${u.port || "5432"}${path}${query}`;
    } catch {
      return trimmed;
    }
  }
  if (trimmed === "memory:" || trimmed === "memory://") return "memory:";
  if (trimmed.startsWith("sqlite:")) return `sqlite:${resolvePath(trimmed.replace(/^sqlite:(\/\/)?/, ""))}`;
  if (/\.(db|sqlite3?)$/i.test(trimmed)) return `sqlite:${resolvePath(trimmed)}`;
  return trimmed;
}

export function sameDatabaseUrl(a: string | undefined, b: string | undefined): boolean {
  return normalizeDatabaseUrl(a) === normalizeDatabaseUrl(b);
}

/** SoniqError messages carry a `[SONIQ_CODE] ` prefix; keep it (it is the stable part) but nothing else. */
export function errorMessage(error: unknown): string {
  if (isSoniqError(error)) return error.message;
  if (error instanceof Error) return error.message;
  if (error && typeof error === "object" && "message" in error) return String((error as { message: unknown }).message);
  return String(error);
}

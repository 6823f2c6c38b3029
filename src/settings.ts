import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { ErrorCodes, SoniqError, show } from "./errors.ts";

export const DEFAULT_TASK_NAME_PATTERN = "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$";

const Seconds = (def: number, minimum: number, maximum: number) => Type.Number({ default: def, minimum, maximum });

/** Every setting, its default and its bounds. Durations are seconds. */
export const SettingsSchema = Type.Object({
  databaseUrl: Type.Optional(Type.String({ minLength: 1 })),
  concurrency: Type.Integer({ default: 4, minimum: 1, maximum: 1000 }),
  pollInterval: Seconds(5, 0.01, 60),
  heartbeatInterval: Seconds(5, 0.05, 60),
  heartbeatTimeout: Seconds(300, 0.5, 7200),
  cleanupInterval: Seconds(300, 0.05, 3600),
  /** Silence after which a worker that heartbeats from its own thread is dead (docs/reliability.md). */
  rescueAfter: Seconds(30, 0.5, 7200),
  /** How often the maintenance leader looks for dead workers. */
  rescueInterval: Seconds(5, 0.05, 3600),
  errorRetryDelay: Seconds(5, 0.01, 300),
  jobTimeout: Seconds(300, 0, 86400 * 7),
  resultTtl: Seconds(300, 0, 86400 * 365),
  shutdownTimeout: Seconds(30, 0, 3600),
  /** The longest a handler's `Snooze` may put its job off (longer requests are capped, with a warning). */
  snoozeMaxSeconds: Type.Number({ default: 86400, exclusiveMinimum: 0, maximum: 86400 * 365 }),
  enqueueValidation: Type.Union([Type.Literal("strict"), Type.Literal("warn"), Type.Literal("none")], { default: "strict" }),
  taskNamePattern: Type.String({ default: DEFAULT_TASK_NAME_PATTERN, minLength: 1 }),
  queues: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  jobsModules: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  maxRetries: Type.Integer({ default: 3, minimum: 0, maximum: 1000 }),
  producerId: Type.String({ default: "auto" }),
  poolMinSize: Type.Integer({ default: 1, minimum: 0, maximum: 200 }),
  poolMaxSize: Type.Integer({ default: 20, minimum: 1, maximum: 1000 }),
  poolHeadroom: Type.Integer({ default: 2, minimum: 0, maximum: 100 }),
  prefetch: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000 })),
  completionBatchSize: Type.Integer({ default: 500, minimum: 1, maximum: 10000 }),
  completionFlushInterval: Seconds(0.005, 0, 10),
  preparedStatements: Type.Boolean({ default: true }),
  /** Seconds to wait for a new database connection before an operation fails. */
  connectTimeout: Seconds(10, 0.1, 300),
  /** Extra tries for an enqueue that failed because the database was unavailable (0: fail at once). */
  enqueueRetries: Type.Integer({ default: 0, minimum: 0, maximum: 100 }),
  listen: Type.Boolean({ default: true }),
  maxArgsBytes: Type.Integer({ default: 1_048_576, minimum: 64, maximum: 256 * 1_048_576 }),
  logLevel: Type.Union(
    [Type.Literal("debug"), Type.Literal("info"), Type.Literal("warn"), Type.Literal("error"), Type.Literal("silent")],
    { default: "info" },
  ),
  schedulerSuppressWarning: Type.Boolean({ default: false }),
  routeMap: Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1, maxLength: 200 }), { default: {} }),
});

export type Settings = Static<typeof SettingsSchema>;

/** Log levels as given: ours, or Python's (`DEBUG`, `INFO`, `WARNING`, `ERROR`, `CRITICAL`), in any case. */
export type LogLevelInput =
  | Settings["logLevel"]
  | Uppercase<Settings["logLevel"]>
  | "warning"
  | "WARNING"
  | "critical"
  | "CRITICAL"
  | (string & {});

export type SettingsInput = Partial<Omit<Settings, "logLevel">> & { logLevel?: LogLevelInput };

/** Python's level names (and ours) -> ours. `critical` is `error`: nothing here logs above error. */
const LOG_LEVEL_ALIASES: Record<string, Settings["logLevel"]> = {
  debug: "debug",
  info: "info",
  warn: "warn",
  warning: "warn",
  error: "error",
  critical: "error",
  silent: "silent",
};

/** `"WARNING"` -> `"warn"`; undefined for a name that is no level. */
export function normalizeLogLevel(value: unknown): Settings["logLevel"] | undefined {
  return typeof value === "string" ? LOG_LEVEL_ALIASES[value.trim().toLowerCase()] : undefined;
}

type Kind = "number" | "integer" | "boolean" | "list" | "string" | "json";
const KINDS: Record<keyof Settings, Kind> = {
  databaseUrl: "string",
  concurrency: "integer",
  pollInterval: "number",
  heartbeatInterval: "number",
  heartbeatTimeout: "number",
  cleanupInterval: "number",
  rescueAfter: "number",
  rescueInterval: "number",
  errorRetryDelay: "number",
  jobTimeout: "number",
  resultTtl: "number",
  shutdownTimeout: "number",
  snoozeMaxSeconds: "number",
  enqueueValidation: "string",
  taskNamePattern: "string",
  queues: "list",
  jobsModules: "list",
  maxRetries: "integer",
  producerId: "string",
  poolMinSize: "integer",
  poolMaxSize: "integer",
  poolHeadroom: "integer",
  prefetch: "integer",
  completionBatchSize: "integer",
  completionFlushInterval: "number",
  preparedStatements: "boolean",
  connectTimeout: "number",
  enqueueRetries: "integer",
  listen: "boolean",
  maxArgsBytes: "integer",
  logLevel: "string",
  schedulerSuppressWarning: "boolean",
  routeMap: "json",
};

export const SETTING_KEYS = Object.keys(KINDS) as (keyof Settings)[];

/** `pollInterval` -> `SONIQ_POLL_INTERVAL`. */
export function envName(key: string): string {
  return `SONIQ_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function parseEnvValue(key: keyof Settings, raw: string, name: string = envName(key)): unknown {
  const bad = (expected: string) =>
    new SoniqError(ErrorCodes.INVALID_SETTING, `${name}=${JSON.stringify(raw)} is not ${expected}`, { variable: name, value: raw });
  switch (KINDS[key]) {
    case "number":
    case "integer": {
      const n = Number(raw.trim());
      if (raw.trim() === "" || !Number.isFinite(n)) throw bad(KINDS[key] === "integer" ? "an integer" : "a number");
      return n;
    }
    case "boolean": {
      const v = raw.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(v)) return true;
      if (["0", "false", "no", "off"].includes(v)) return false;
      throw bad("a boolean (true/false/1/0/yes/no/on/off)");
    }
    case "list":
      return raw.split(",").map((s) => s.trim()).filter(Boolean);
    case "json":
      try {
        return JSON.parse(raw);
      } catch {
        throw bad("JSON (e.g. {\"billing.\": \"billing\"})");
      }
    case "string":
      if (key === "logLevel") return normalizeLogLevel(raw) ?? raw.trim().toLowerCase();
      return key === "enqueueValidation" ? raw.trim().toLowerCase() : raw;
  }
}

/** Environment variables that are another name of a setting (the seeds use both). */
const ENV_ALIASES: Partial<Record<keyof Settings, string>> = {
  concurrency: "SONIQ_WORKER_CONCURRENCY",
};

/**
 * Resolve settings: explicit options beat `SONIQ_*` environment variables, which beat defaults.
 * Every value is checked; the error names the option or variable at fault.
 */
export function resolveSettings(input: SettingsInput = {}, env: Record<string, string | undefined> = process.env): Settings {
  const merged: Record<string, unknown> = {};
  const source: Record<string, string> = {};
  for (const key of Object.keys(input)) {
    if (!(key in KINDS)) {
      throw new SoniqError(ErrorCodes.INVALID_SETTING, `unknown option "${key}"`, { option: key });
    }
  }
  for (const key of SETTING_KEYS) {
    const given = input[key];
    if (given !== undefined) {
      merged[key] = given;
      source[key] = `option ${key}`;
      continue;
    }
    const raw = env[envName(key)];
    const alias = ENV_ALIASES[key];
    const aliasRaw = alias ? env[alias] : undefined;
    if (raw !== undefined && raw !== "") {
      merged[key] = parseEnvValue(key, raw);
      source[key] = envName(key);
      if (alias && aliasRaw !== undefined && aliasRaw !== "" && parseEnvValue(key, aliasRaw, alias) !== merged[key]) {
        throw new SoniqError(
          ErrorCodes.INVALID_SETTING,
          `${envName(key)}=${JSON.stringify(raw)} and ${alias}=${JSON.stringify(aliasRaw)} disagree: they name the same setting, set one of them`,
          { setting: key, variables: [envName(key), alias] },
        );
      }
    } else if (alias && aliasRaw !== undefined && aliasRaw !== "") {
      merged[key] = parseEnvValue(key, aliasRaw, alias);
      source[key] = alias;
    }
  }
  if (typeof merged.logLevel === "string" && source.logLevel?.startsWith("option")) {
    merged.logLevel = normalizeLogLevel(merged.logLevel) ?? merged.logLevel;
  }
  const routeMap = merged.routeMap;
  if (routeMap !== undefined && (routeMap === null || typeof routeMap !== "object" || Array.isArray(routeMap))) {
    throw new SoniqError(
      ErrorCodes.INVALID_SETTING,
      `${source.routeMap}: must be an object of task-name prefix -> queue, e.g. {"billing.": "billing"} (got ${show(routeMap)})`,
      { setting: "routeMap", source: source.routeMap, value: routeMap },
    );
  }
  const withDefaults = Value.Default(SettingsSchema, merged) as Record<string, unknown>;
  const first = Value.Errors(SettingsSchema, withDefaults).First();
  if (first) {
    const key = first.path.split("/")[1] ?? "";
    const where = source[key] ?? `option ${key}`;
    throw new SoniqError(
      ErrorCodes.INVALID_SETTING,
      `${where}: ${first.message} (got ${show(first.value)})`,
      { setting: key, source: where, value: first.value },
    );
  }
  const settings = withDefaults as Settings;
  settings.routeMap = Object.freeze({ ...settings.routeMap });
  try {
    new RegExp(`^(?:${settings.taskNamePattern})$`);
  } catch (cause) {
    throw new SoniqError(ErrorCodes.INVALID_SETTING, `${source.taskNamePattern ?? "taskNamePattern"}: not a valid regular expression`, { setting: "taskNamePattern" }, { cause });
  }
  return settings;
}

export function checkSchema<T extends TSchema>(schema: T, value: unknown): value is Static<T> {
  return Value.Check(schema, value);
}

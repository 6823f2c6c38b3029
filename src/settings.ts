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
  listen: Type.Boolean({ default: true }),
  maxArgsBytes: Type.Integer({ default: 1_048_576, minimum: 64, maximum: 256 * 1_048_576 }),
  logLevel: Type.Union(
    [Type.Literal("debug"), Type.Literal("info"), Type.Literal("warn"), Type.Literal("error"), Type.Literal("silent")],
    { default: "info" },
  ),
});

export type Settings = Static<typeof SettingsSchema>;
export type SettingsInput = Partial<Settings>;

type Kind = "number" | "integer" | "boolean" | "list" | "string";
const KINDS: Record<keyof Settings, Kind> = {
  databaseUrl: "string",
  concurrency: "integer",
  pollInterval: "number",
  heartbeatInterval: "number",
  heartbeatTimeout: "number",
  cleanupInterval: "number",
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
  listen: "boolean",
  maxArgsBytes: "integer",
  logLevel: "string",
};

export const SETTING_KEYS = Object.keys(KINDS) as (keyof Settings)[];

/** `pollInterval` -> `SONIQ_POLL_INTERVAL`. */
export function envName(key: string): string {
  return `SONIQ_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function parseEnvValue(key: keyof Settings, raw: string): unknown {
  const name = envName(key);
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
    case "string":
      return key === "enqueueValidation" || key === "logLevel" ? raw.trim().toLowerCase() : raw;
  }
}

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
    if (raw !== undefined && raw !== "") {
      merged[key] = parseEnvValue(key, raw);
      source[key] = envName(key);
    }
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
  try {
    new RegExp(settings.taskNamePattern);
  } catch (cause) {
    throw new SoniqError(ErrorCodes.INVALID_SETTING, `${source.taskNamePattern ?? "taskNamePattern"}: not a valid regular expression`, { setting: "taskNamePattern" }, { cause });
  }
  return settings;
}

export function checkSchema<T extends TSchema>(schema: T, value: unknown): value is Static<T> {
  return Value.Check(schema, value);
}

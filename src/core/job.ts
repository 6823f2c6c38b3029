import type { Static, TSchema } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import { Value } from "@sinclair/typebox/value";
import { basename, dirname, extname } from "node:path";
import { ErrorCodes, SoniqError, show } from "../errors.ts";
import { DEFAULT_TASK_NAME_PATTERN } from "../settings.ts";
import type { RetryOptions } from "./retry.ts";
import { isStorableText } from "./text.ts";

/** Runtime facts about the attempt in progress, passed to handlers and hooks. */
export interface JobContext {
  readonly jobId: string;
  readonly jobName: string;
  /** 1 on the first run. */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly queue: string;
  readonly workerId: string;
  readonly scheduledAt: Date | null;
  readonly createdAt: Date;
  /** Aborted when the job times out or the worker is forced to stop. */
  readonly signal: AbortSignal;
}

export type JobArgs = Record<string, unknown>;

export interface JobOptions<S extends TSchema | undefined = TSchema | undefined> extends RetryOptions {
  /** Task name; derived from the module and function name when omitted. */
  name?: string;
  /** Retries after the first attempt (default 3, so 4 attempts). */
  retries?: number;
  /** Alias of `retries`; wins when both are given. */
  maxRetries?: number;
  /** 1..1000, lower runs first (default 100). */
  priority?: number;
  queue?: string;
  /** Deduplicate queued jobs by a hash of their args. */
  unique?: boolean;
  /** Seconds; 0 disables; omitted uses the `jobTimeout` setting. */
  timeout?: number | null;
  /** TypeBox schema the args must match, checked at enqueue and again by the worker. */
  validate?: S;
  /** Alias of `validate`. */
  argsModel?: S;
}

export interface ResolvedJobOptions extends Required<Omit<RetryOptions, "retryMaxDelay">> {
  name: string;
  retries: number;
  priority: number;
  queue: string;
  unique: boolean;
  timeout: number | null;
  retryMaxDelay: number | null;
  schema: TSchema | undefined;
}

export type JobHandler<A, R> = (args: A, ctx: JobContext) => R | Promise<R>;

const JOB_BRAND = Symbol.for("soniq.job");
const REF_BRAND = Symbol.for("soniq.taskRef");

/** What `app.job()` returns: enqueue it by handle, or call `run()` directly in tests. */
export interface JobHandle<A = JobArgs, R = unknown> {
  readonly [JOB_BRAND]: true;
  readonly name: string;
  readonly options: Readonly<ResolvedJobOptions>;
  /** Call the handler directly, without a queue. */
  run(args: A, ctx?: Partial<JobContext>): Promise<R>;
  /** Type-only marker for argument inference. */
  readonly __args?: A;
}

/** A typed stub for a job another service owns: enqueue by name without importing its code. */
export interface TaskRef<A = JobArgs> {
  readonly [REF_BRAND]: true;
  readonly name: string;
  readonly schema: TSchema | undefined;
  readonly defaultQueue: string | undefined;
  withDefaultQueue(queue: string): TaskRef<A>;
  readonly __args?: A;
}

export function isJobHandle(x: unknown): x is JobHandle<any, any> {
  return typeof x === "object" && x !== null && (x as Record<symbol, unknown>)[JOB_BRAND] === true;
}

export function isTaskRef(x: unknown): x is TaskRef<any> {
  return typeof x === "object" && x !== null && (x as Record<symbol, unknown>)[REF_BRAND] === true;
}

const fullMatchers = new Map<string, RegExp>();

/**
 * The task-name pattern as a whole-string matcher: `[a-z]+` accepts "abc" but not "Bad Name!x",
 * as Python's `re.fullmatch` (a pattern is never merely searched for inside the name).
 */
export function taskNameMatcher(pattern: string): RegExp {
  let re = fullMatchers.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`);
    if (fullMatchers.size >= 64) fullMatchers.clear();
    fullMatchers.set(pattern, re);
  }
  return re;
}

export function validateTaskName(name: unknown, pattern: string): string {
  if (typeof name !== "string") {
    throw new SoniqError(ErrorCodes.INVALID_TASK_NAME, `task name must be a string, got ${typeof name}`, { receivedType: typeof name });
  }
  if (name.length === 0 || !isStorableText(name) || !taskNameMatcher(pattern).test(name)) {
    throw new SoniqError(
      ErrorCodes.INVALID_TASK_NAME,
      `invalid task name "${name}": must match ${pattern} as a whole (dotted lowercase, e.g. "billing.invoices.send_v2")`,
      { name, pattern },
    );
  }
  return name;
}

/** `taskRef("billing.invoices.send.v2", InvoiceArgs)`; args are typed from the schema or the type parameter. */
export function taskRef<S extends TSchema>(name: string, schema: S, options?: { defaultQueue?: string; pattern?: string }): TaskRef<Static<S>>;
export function taskRef<A extends JobArgs = JobArgs>(name: string, schema?: undefined, options?: { defaultQueue?: string; pattern?: string }): TaskRef<A>;
export function taskRef(name: string, schema?: TSchema, options: { defaultQueue?: string; pattern?: string } = {}): TaskRef<any> {
  validateTaskName(name, options.pattern || process.env.SONIQ_TASK_NAME_PATTERN || DEFAULT_TASK_NAME_PATTERN);
  const make = (defaultQueue: string | undefined): TaskRef<any> =>
    Object.freeze({
      [REF_BRAND]: true as const,
      name,
      schema,
      defaultQueue,
      withDefaultQueue: (queue: string) => make(queue),
    });
  return make(options.defaultQueue);
}

/** A registered job: options plus the compiled argument checker. */
export class JobDefinition {
  readonly name: string;
  readonly options: ResolvedJobOptions;
  readonly handler: JobHandler<any, unknown>;
  private readonly checker: TypeCheck<TSchema> | undefined;

  constructor(options: ResolvedJobOptions, handler: JobHandler<any, unknown>) {
    this.name = options.name;
    this.options = options;
    this.handler = handler;
    this.checker = options.schema ? TypeCompiler.Compile(options.schema) : undefined;
  }

  get maxAttempts(): number {
    return this.options.retries + 1;
  }

  /** Null when the args pass (or no schema is set), else a readable list of problems. */
  argsProblems(args: unknown): string | null {
    return schemaProblems(this.checker, args);
  }

  /** Args as the handler receives them: schema defaults filled in, then checked. */
  prepareArgs(args: unknown): { ok: true; args: JobArgs } | { ok: false; error: string } {
    if (args === null || typeof args !== "object" || Array.isArray(args)) {
      return { ok: false, error: `args must be an object, got ${Array.isArray(args) ? "array" : typeof args}` };
    }
    if (!this.options.schema) return { ok: true, args: args as JobArgs };
    const withDefaults = Value.Default(this.options.schema, structuredClone(args));
    const problems = this.argsProblems(withDefaults);
    return problems ? { ok: false, error: `Invalid arguments for ${this.name}: ${problems}` } : { ok: true, args: withDefaults as JobArgs };
  }
}

const checkers = new WeakMap<TSchema, TypeCheck<TSchema>>();
export function checkAgainst(schema: TSchema, args: unknown): string | null {
  let checker = checkers.get(schema);
  if (!checker) checkers.set(schema, (checker = TypeCompiler.Compile(schema)));
  return schemaProblems(checker, args);
}

function schemaProblems(checker: TypeCheck<TSchema> | undefined, args: unknown): string | null {
  if (!checker || checker.Check(args)) return null;
  return [...checker.Errors(args)]
    .slice(0, 5)
    .map((e) => `${e.path || "/"}: ${e.message}`)
    .join("; ");
}

export interface NamingRules {
  /** `taskNamePattern`: explicit and derived names must match it as a whole. */
  pattern: string;
  /** `routeMap`: task-name prefix -> queue, for jobs that name no queue. */
  routeMap?: Readonly<Record<string, string>>;
}

export function resolveJobOptions(options: JobOptions, handler: Function, rules: NamingRules, callerFile: string | undefined): ResolvedJobOptions {
  const { pattern } = rules;
  const known = new Set(["name", "retries", "maxRetries", "priority", "queue", "unique", "retryDelay", "retryBackoff", "retryMaxDelay", "retryJitter", "timeout", "validate", "argsModel"]);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `unknown job option "${key}"`, { option: key });
  }
  const name = options.name !== undefined ? validateTaskName(options.name, pattern) : deriveTaskName(handler, callerFile, pattern);
  const retries = options.maxRetries ?? options.retries ?? 3;
  checkInt("retries", retries, 0, 1000);
  const priority = options.priority ?? 100;
  checkInt("priority", priority, 1, 1000);
  const queue = options.queue ?? routeQueue(name, rules.routeMap) ?? "default";
  checkQueueName(queue);
  const retryDelay = options.retryDelay ?? 0;
  const delays = typeof retryDelay === "number" ? [retryDelay] : retryDelay;
  if (!Array.isArray(delays) || delays.some((d) => typeof d !== "number" || !Number.isFinite(d) || d < 0)) {
    throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, "retryDelay must be seconds >= 0 or a list of them", { retryDelay });
  }
  const retryMaxDelay = options.retryMaxDelay ?? null;
  if (retryMaxDelay !== null) checkNumber("retryMaxDelay", retryMaxDelay, 0);
  const timeout = options.timeout ?? null;
  if (timeout !== null) checkNumber("timeout", timeout, 0);
  return {
    name,
    retries,
    priority,
    queue,
    unique: options.unique ?? false,
    retryDelay: typeof retryDelay === "number" ? retryDelay : [...retryDelay],
    retryBackoff: options.retryBackoff ?? false,
    retryMaxDelay,
    retryJitter: options.retryJitter ?? true,
    timeout,
    schema: options.validate ?? options.argsModel,
  };
}

export function checkInt(what: string, value: unknown, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `${what} must be an integer from ${min} to ${max}, got ${show(value)}`, { [what]: value });
  }
}

function checkNumber(what: string, value: unknown, min: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `${what} must be a number >= ${min} (seconds), got ${show(value)}`, { [what]: value });
  }
}

export function checkQueueName(queue: unknown): string {
  if (typeof queue !== "string" || queue.length === 0 || queue.length > 200 || !isStorableText(queue)) {
    throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `queue must be a non-empty string of at most 200 characters (no NUL)`, { queue });
  }
  return queue;
}

/**
 * The queue `routeMap` gives a task name: the value of the longest key that is a prefix of the
 * name (`{ "billing.": "billing" }` routes `billing.invoices.send`). Undefined when none matches.
 */
export function routeQueue(name: string, routeMap: Readonly<Record<string, string>> | undefined): string | undefined {
  if (!routeMap) return undefined;
  let best: string | undefined;
  for (const prefix of Object.keys(routeMap)) {
    if (name.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
  }
  return best === undefined ? undefined : routeMap[best];
}

/**
 * One name segment in snake_case: `sendWelcome` -> `send_welcome`, `HTTPServer` -> `http_server`,
 * `send-welcome` -> `send_welcome`, `v2Api` -> `v2_api`.
 */
export function snakeCase(segment: string): string {
  return segment
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_+|_+$/g, "");
}

/**
 * Celery-style default name, `<module>.<function>` in snake_case: `sendWelcome` in `jobs.ts` is
 * `jobs.send_welcome`, in `emailJobs.ts` `email_jobs.send_welcome` (an `index.ts` takes its
 * folder's name). A derived name must match the task-name pattern like an explicit one, so a
 * job that could not be enqueued or scheduled by name is refused here, at registration.
 */
function deriveTaskName(handler: Function, callerFile: string | undefined, pattern: string): string {
  const fn = handler.name;
  if (!fn || fn === "anonymous" || fn.startsWith("bound ")) {
    throw new SoniqError(ErrorCodes.INVALID_TASK_NAME, "an anonymous handler needs an explicit name: app.job({ name: \"area.job_name\" }, handler)");
  }
  let mod: string | undefined;
  if (callerFile) {
    mod = basename(callerFile, extname(callerFile));
    if (mod === "index") mod = basename(dirname(callerFile));
  }
  const parts = [...(mod ? mod.split(".") : []), fn].map(snakeCase);
  const name = parts.filter(Boolean).join(".");
  if (!name || !taskNameMatcher(pattern).test(name)) {
    throw new SoniqError(
      ErrorCodes.INVALID_TASK_NAME,
      `the name derived for handler ${fn}${mod ? ` in ${mod}` : ""} ("${name}") does not match the task-name pattern ${pattern}: ` +
        `give the job an explicit name, app.job({ name: "area.job_name" }, handler)`,
      { name, pattern, handler: fn },
    );
  }
  return name;
}

const OWN_DIR = dirname(dirname(import.meta.path));

/** The file that called into Soniq, read from the stack (skipping Soniq's own frames). */
export function callerFile(): string | undefined {
  const stack = new Error().stack ?? "";
  for (const line of stack.split("\n").slice(1)) {
    const m = line.match(/\(?((?:file:\/\/)?[^\s()]+?):\d+:\d+\)?\s*$/);
    if (!m) continue;
    const file = m[1]!.replace(/^file:\/\//, "");
    if (file.startsWith(OWN_DIR) || file.startsWith("native") || !file.includes("/")) continue;
    return file;
  }
  return undefined;
}

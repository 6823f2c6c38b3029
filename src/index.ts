/// <reference path="../types/sql.d.ts" />
export {
  Soniq,
  isSoniqApp,
  type SoniqOptions,
  type EnqueueOptions,
  type EnqueueManyOptions,
  type JobStatusInfo,
  type BackendKind,
  type EnqueueableArgs,
} from "./soniq.ts";
export { JobStatus } from "./core/status.ts";
export type { TaskRegistryEntry } from "./task-registry.ts";
export { Type, type Static, type TSchema } from "@sinclair/typebox";
export { taskRef, type JobContext, type JobHandle, type JobOptions, type TaskRef, type JobArgs } from "./core/job.ts";
export { SoniqError, ErrorCodes, isSoniqError, type ErrorCode } from "./errors.ts";
export { computeArgsHash } from "./core/hashing.ts";
export { computeRetryDelay, type RetryOptions, type RetryPolicy, type RetryPolicyInput } from "./core/retry.ts";
export { Snooze, PermanentError } from "./core/control.ts";
export { resolveSettings, envName, type Settings, type SettingsInput, type LogLevelInput } from "./settings.ts";
export { Worker, type WorkerOptions, type WorkerSummary } from "./worker/worker.ts";
export type { MetricsSink, BeforeJobHook, AfterJobHook, ErrorHook, Middleware } from "./worker/hooks.ts";
export { DeadLetterService } from "./dead-letter.ts";
export { PostgresBackend } from "./backends/postgres/index.ts";
export { SqliteBackend } from "./backends/sqlite/index.ts";
export { MemoryBackend } from "./backends/memory/index.ts";
export type * from "./backends/types.ts";
export { VERSION } from "./version.ts";
export { every, daily, weekly, monthly, cron, Interval, CronBuilder, type CronInput, type EveryInput, type Weekday } from "./scheduler/dsl.ts";
export { Scheduler, type PeriodicOptions, type ScheduleOptions, type RunSchedulerOptions, type SchedulerSummary, type TickResult } from "./scheduler/scheduler.ts";
export { createDashboard, type Dashboard, type DashboardOptions, type DashboardPeer } from "./dashboard/index.ts";
export {
  createPrometheusSink,
  prometheusText,
  DEFAULT_DURATION_BUCKETS,
  PROMETHEUS_CONTENT_TYPE,
  type PrometheusSink,
  type PrometheusSinkOptions,
  type PrometheusTextOptions,
} from "./metrics/index.ts";
export { adaptConnection, type PgConnectionAdapter, type PgClientKind } from "./backends/postgres/connection.ts";

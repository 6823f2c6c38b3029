export { Interval, CronBuilder, EveryBuilder, DailyBuilder, WeeklyBuilder, WeeklyOnBuilder, MonthlyBuilder, MonthlyOnBuilder, every, daily, weekly, monthly, cron } from "./dsl.ts";
export type { CronInput, EveryInput, Weekday } from "./dsl.ts";
export { parseCron, type CronSchedule } from "./cron.ts";
export { decodeSpec, describeSpec, encodeSpec, nextRunAfter, parseWhen, type ScheduleSpec, type ScheduleWhen } from "./spec.ts";
export { Scheduler, type PeriodicOptions, type RunSchedulerOptions, type ScheduleOptions, type SchedulerSummary, type TickResult } from "./scheduler.ts";

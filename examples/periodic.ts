/**
 * Periodic jobs: `app.periodic` registers a job and its schedule in one call. A scheduler
 * (`soniq scheduler`, or `app.runScheduler()` / `app.scheduler.start()`) stores the schedules
 * in the database and enqueues each run; ordinary workers run them. Any number of schedulers
 * may run: one fires per tick (a Postgres advisory lock), the others stand by.
 *
 *   SONIQ_DATABASE_URL=postgres://localhost/myapp bun examples/periodic.ts      # scheduler + worker in one process
 *   soniq scheduler --jobs-modules ./examples/periodic.ts                      # or: the scheduler alone
 *   soniq worker --jobs-modules ./examples/periodic.ts                         # and workers, scaled separately
 */
import { Soniq, daily, every, weekly } from "soniq";

export const app = new Soniq({ databaseUrl: process.env.SONIQ_DATABASE_URL });

/** Every 30 seconds (an interval; the first run is 30 s after the schedule is created). */
export const flushMetrics = app.periodic({ every: 30, name: "metrics.flush" }, async () => {
  return { flushedAt: new Date().toISOString() };
});

/** Every 10 minutes, as a cron expression: every(10).minutes() is "*\/10 * * * *". */
export const cleanupSessions = app.periodic(
  { cron: every(10).minutes(), name: "sessions.cleanup", queue: "maintenance", args: { olderThanHours: 24 } },
  async ({ olderThanHours }: { olderThanHours: number }) => ({ removedOlderThanHours: olderThanHours }),
);

/** 09:00 every day in Berlin; retried like any job. */
export const dailyReport = app.periodic(
  { cron: daily().at("09:00"), timezone: "Europe/Berlin", name: "reports.daily", retries: 2, timeout: 600 },
  async (_args, ctx) => ({ report: "daily", attempt: ctx.attempt }),
);

/** Mondays at 08:30 UTC. */
export const weeklyDigest = app.periodic({ cron: weekly().on("monday").at("08:30"), name: "reports.weekly_digest" }, async () => ({ report: "weekly" }));

if (import.meta.main) {
  await app.setup();
  app.scheduler.start(); // in the background: stores the schedules above, then fires each when due
  const worker = app.createWorker({ concurrency: 4 }); // first Ctrl-C drains running jobs and stops
  const running = worker.run();
  for (const s of await waitForSchedules()) console.log(`${s.name}: next run ${s.nextRun?.toISOString()}`);
  await running;
  await app.scheduler.stop();
  await app.close();
}

async function waitForSchedules() {
  for (let i = 0; i < 100; i++) {
    const schedules = await app.scheduler.list();
    if (schedules.length >= app.scheduler.periodicNames.length) return schedules;
    await Bun.sleep(100);
  }
  return app.scheduler.list();
}

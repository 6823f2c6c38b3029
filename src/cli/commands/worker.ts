import { defineCommand } from "citty";
import type { WorkerOptions, WorkerSummary } from "../../worker/worker.ts";
import { dbArgs, errorMessage, intFlag, listFlag, logLevelFlag, redactUrl, sameDatabaseUrl, stringFlag } from "../app.ts";
import { forceExit, onShutdownSignals } from "../../core/signals.ts";
import { CliError, ExitCode } from "../exit.ts";
import { collectModules, findInstances, importModules, NO_MODULES_MESSAGE, pickInstance, withDeclaredModules } from "../modules.ts";
import { flushOutput, note, out, plural } from "../output.ts";

export function summaryLine(summary: WorkerSummary): string {
  return (
    `soniq worker: stopped after ${plural(summary.processed, "job")}: ${summary.succeeded} succeeded, ${summary.retried} retried, ` +
    `${summary.deadLettered} dead-lettered, ${summary.requeued} requeued (worker ${summary.workerId})`
  );
}

/** `soniq worker`: import the job modules, find their Soniq instance and run a worker on it. */
export const worker = defineCommand({
  meta: { name: "worker", description: "Run a worker for the jobs your modules define" },
  args: {
    concurrency: { type: "string", valueHint: "n", description: "jobs run at once, 1-1000 (default: $SONIQ_CONCURRENCY, else 4)" },
    queues: { type: "string", valueHint: "a,b", description: "queues to consume (default: $SONIQ_QUEUES, else all queues)" },
    "run-once": { type: "boolean", description: "process the jobs that are due, then exit" },
    "jobs-modules": {
      type: "string",
      valueHint: "a,b",
      description: "modules that define your jobs (paths from the current directory, or package names); merged after $SONIQ_JOBS_MODULES",
    },
    ...dbArgs,
    "log-level": {
      type: "string",
      valueHint: "level",
      description: "debug, info, warn, error or silent, for instances built without logLevel (default: $SONIQ_LOG_LEVEL, else info)",
    },
  },
  async run({ args }) {
    const concurrency = intFlag(args.concurrency, "--concurrency", { min: 1, max: 1000 });
    const queues = listFlag(args.queues, "--queues");
    const runOnce = Boolean(args["run-once"]);
    const databaseUrl = stringFlag(args["database-url"], "--database-url");
    const logLevel = logLevelFlag(args["log-level"]);
    const modules = collectModules(process.env.SONIQ_JOBS_MODULES, listFlag(args["jobs-modules"], "--jobs-modules"));
    if (modules.length === 0) throw new CliError(NO_MODULES_MESSAGE);

    // Instances the modules build with `new Soniq()` read these, so the flags reach them too.
    if (databaseUrl !== undefined) process.env.SONIQ_DATABASE_URL = databaseUrl;
    if (logLevel !== undefined) process.env.SONIQ_LOG_LEVEL = logLevel;

    const instances = findInstances(await withDeclaredModules(await importModules(modules)));
    const app = pickInstance(instances, modules);
    const where = instances.find((i) => i.app === app)!.where.join(", ");
    if (databaseUrl !== undefined && !sameDatabaseUrl(databaseUrl, app.settings.databaseUrl)) {
      throw new CliError(
        `--database-url ${redactUrl(databaseUrl)} differs from the database of the Soniq instance in ${where} ` +
          `(${redactUrl(app.settings.databaseUrl)}): drop the flag, or let the instance read SONIQ_DATABASE_URL (new Soniq() without databaseUrl)`,
      );
    }

    const options: WorkerOptions = { runOnce, handleSignals: false };
    if (concurrency !== undefined) options.concurrency = concurrency;
    if (queues !== undefined) options.queues = queues;
    const worker = app.createWorker(options);
    await app.ensureInitialized();

    // First SIGINT/SIGTERM/SIGHUP: stop claiming and drain (exit 0). Second: requeue every claimed
    // job (running ones are aborted) and exit 130, within 2 s even if the database does not answer.
    let forced = false;
    onShutdownSignals({
      onFirst(signal) {
        note(`soniq worker: ${signal} received, finishing running jobs (up to ${app.settings.shutdownTimeout}s); send it again to requeue them and exit at once`);
        void worker.stop();
      },
      onSecond(signal) {
        forced = true;
        note(`soniq worker: second ${signal}, requeueing claimed jobs and exiting`);
        forceExit(async () => {
          const requeued = await worker.abandon();
          note(`soniq worker: ${plural(requeued, "job")} requeued`);
          await flushOutput();
        });
      },
    });
    const effectiveQueues = queues ?? app.settings.queues;
    out(
      `soniq worker: starting on ${app.backend.kind} ${redactUrl(app.settings.databaseUrl)} with ${plural(app.jobNames.length, "job")} ` +
        `(${app.jobNames.join(", ")}), concurrency ${concurrency ?? app.settings.concurrency}, ` +
        `queues ${effectiveQueues?.length ? effectiveQueues.join(",") : "all"}, ${runOnce ? "run-once" : "until SIGINT/SIGTERM/SIGHUP"}`,
    );
    // After a second signal, forceExit ends the process (exit 130) once the claimed jobs are
    // requeued: the pool must stay open for that, and nothing else may exit first.
    const forcedExit = () => new Promise<never>(() => {});
    let summary: WorkerSummary;
    try {
      summary = await worker.run();
    } catch (error) {
      if (forced) await forcedExit();
      throw new CliError(`worker failed: ${errorMessage(error)}`);
    } finally {
      // The handlers stay installed until exit: a signal during close is a no-op stop, a second one exits 130.
      if (!forced) await app.close().catch(() => {});
    }
    if (forced) await forcedExit();
    out(summaryLine(summary));
    return ExitCode.OK;
  },
});

// Every statement the Postgres backend runs, loaded from sql/ (embedded in the compiled binary).
import { spliceFragments } from "../sql-fragments.ts";
import cancelJob from "../../../sql/postgres/queries/cancel_job.sql" with { type: "text" };
import claimAll from "../../../sql/postgres/queries/claim_all.sql" with { type: "text" };
import claimQueues from "../../../sql/postgres/queries/claim_queues.sql" with { type: "text" };
import completeJobs from "../../../sql/postgres/queries/complete_jobs.sql" with { type: "text" };
import deadLetterAddTags from "../../../sql/postgres/queries/dead_letter_add_tags.sql" with { type: "text" };
import deadLetterCount from "../../../sql/postgres/queries/dead_letter_count.sql" with { type: "text" };
import deadLetterDelete from "../../../sql/postgres/queries/dead_letter_delete.sql" with { type: "text" };
import deadLetterFilter from "../../../sql/postgres/queries/dead_letter_filter.sql" with { type: "text" };
import deadLetterGet from "../../../sql/postgres/queries/dead_letter_get.sql" with { type: "text" };
import deadLetterJobs from "../../../sql/postgres/queries/dead_letter_jobs.sql" with { type: "text" };
import deadLetterList from "../../../sql/postgres/queries/dead_letter_list.sql" with { type: "text" };
import deadLetterPurge from "../../../sql/postgres/queries/dead_letter_purge.sql" with { type: "text" };
import deadLetterReplay from "../../../sql/postgres/queries/dead_letter_replay.sql" with { type: "text" };
import deadLetterStats from "../../../sql/postgres/queries/dead_letter_stats.sql" with { type: "text" };
import deadLetterTagsObject from "../../../sql/postgres/queries/dead_letter_tags_object.sql" with { type: "text" };
import deleteCompletedJobs from "../../../sql/postgres/queries/delete_completed_jobs.sql" with { type: "text" };
import deleteExpired from "../../../sql/postgres/queries/delete_expired.sql" with { type: "text" };
import deleteJob from "../../../sql/postgres/queries/delete_job.sql" with { type: "text" };
import getJob from "../../../sql/postgres/queries/get_job.sql" with { type: "text" };
import heartbeat from "../../../sql/postgres/queries/heartbeat.sql" with { type: "text" };
import insertJobDedup from "../../../sql/postgres/queries/insert_job_dedup.sql" with { type: "text" };
import insertJobUnique from "../../../sql/postgres/queries/insert_job_unique.sql" with { type: "text" };
import insertJobsSame from "../../../sql/postgres/queries/insert_jobs_same.sql" with { type: "text" };
import insertJobs from "../../../sql/postgres/queries/insert_jobs.sql" with { type: "text" };
import listJobs from "../../../sql/postgres/queries/list_jobs.sql" with { type: "text" };
import listWorkers from "../../../sql/postgres/queries/list_workers.sql" with { type: "text" };
import nackJobs from "../../../sql/postgres/queries/nack_jobs.sql" with { type: "text" };
import notify from "../../../sql/postgres/queries/notify.sql" with { type: "text" };
import queueBreakdown from "../../../sql/postgres/queries/queue_breakdown.sql" with { type: "text" };
import queueStats from "../../../sql/postgres/queries/queue_stats.sql" with { type: "text" };
import registerWorker from "../../../sql/postgres/queries/register_worker.sql" with { type: "text" };
import requeueOrphans from "../../../sql/postgres/queries/requeue_orphans.sql" with { type: "text" };
import rescueStale from "../../../sql/postgres/queries/rescue_stale.sql" with { type: "text" };
import retryJobs from "../../../sql/postgres/queries/retry_jobs.sql" with { type: "text" };
import scheduleAdvance from "../../../sql/postgres/queries/schedule_advance.sql" with { type: "text" };
import scheduleGet from "../../../sql/postgres/queries/schedule_get.sql" with { type: "text" };
import scheduleList from "../../../sql/postgres/queries/schedule_list.sql" with { type: "text" };
import scheduleRemove from "../../../sql/postgres/queries/schedule_remove.sql" with { type: "text" };
import scheduleSetStatus from "../../../sql/postgres/queries/schedule_set_status.sql" with { type: "text" };
import scheduleUpsert from "../../../sql/postgres/queries/schedule_upsert.sql" with { type: "text" };
import tryLock from "../../../sql/postgres/queries/try_lock.sql" with { type: "text" };
import workerStopped from "../../../sql/postgres/queries/worker_stopped.sql" with { type: "text" };

// Shared pieces, spliced where a statement says /* name */ (src/backends/sql-fragments.ts).
const FRAGMENTS = { dead_letter_filter: deadLetterFilter, dead_letter_tags_object: deadLetterTagsObject };
const splice = (sql: string) => spliceFragments(sql, FRAGMENTS);

export const Q = { cancelJob, claimAll, claimQueues, completeJobs, deadLetterAddTags: splice(deadLetterAddTags), deadLetterCount: splice(deadLetterCount), deadLetterDelete, deadLetterGet, deadLetterJobs, deadLetterList: splice(deadLetterList), deadLetterPurge: splice(deadLetterPurge), deadLetterReplay, deadLetterStats, deleteCompletedJobs, deleteExpired, deleteJob, getJob, heartbeat, insertJobDedup, insertJobUnique, insertJobs, insertJobsSame, listJobs, listWorkers, nackJobs, notify, queueBreakdown, queueStats, registerWorker, requeueOrphans, rescueStale, retryJobs, scheduleAdvance, scheduleGet, scheduleList, scheduleRemove, scheduleSetStatus, scheduleUpsert, tryLock, workerStopped } as const;

import searchJobs from "../../../sql/postgres/queries/search_jobs.sql" with { type: "text" };
import jobTimeline from "../../../sql/postgres/queries/job_timeline.sql" with { type: "text" };

/** Read-only statements for the dashboard. */
export const DQ = { searchJobs, jobTimeline } as const;

import m0001 from "../../../sql/postgres/migrations/0001_core.sql" with { type: "text" };
import m0002 from "../../../sql/postgres/migrations/0002_dead_letter.sql" with { type: "text" };
import m0003 from "../../../sql/postgres/migrations/0003_scheduler.sql" with { type: "text" };
import m0004 from "../../../sql/postgres/migrations/0004_webhooks.sql" with { type: "text" };
import m0005 from "../../../sql/postgres/migrations/0005_logs.sql" with { type: "text" };
import m0051 from "../../../sql/postgres/migrations/0051_bun_hot_path.sql" with { type: "text" };
import m0052 from "../../../sql/postgres/migrations/0052_bun_requeue_function.sql" with { type: "text" };
import m0053 from "../../../sql/postgres/migrations/0053_bun_guarded_requeue.sql" with { type: "text" };

/** Numbered migrations; versions 0001-0005 match Python Soniq, 0051+ are ours (additive). */
export const MIGRATIONS: readonly { version: string; name: string; sql: string }[] = [
  { version: "0001", name: "core", sql: m0001 },
  { version: "0002", name: "dead_letter", sql: m0002 },
  { version: "0003", name: "scheduler", sql: m0003 },
  { version: "0004", name: "webhooks", sql: m0004 },
  { version: "0005", name: "logs", sql: m0005 },
  { version: "0051", name: "bun_hot_path", sql: m0051 },
  { version: "0052", name: "bun_requeue_function", sql: m0052 },
  { version: "0053", name: "bun_guarded_requeue", sql: m0053 },
];

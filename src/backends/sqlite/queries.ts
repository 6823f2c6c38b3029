// Every statement the SQLite backend runs, loaded from sql/sqlite (embedded in the compiled binary).
import { spliceFragments } from "../sql-fragments.ts";
import schema from "../../../sql/sqlite/schema.sql" with { type: "text" };
import cancelJob from "../../../sql/sqlite/cancel_job.sql" with { type: "text" };
import claimAll from "../../../sql/sqlite/claim_all.sql" with { type: "text" };
import claimQueue from "../../../sql/sqlite/claim_queue.sql" with { type: "text" };
import claimQueues from "../../../sql/sqlite/claim_queues.sql" with { type: "text" };
import completeJob from "../../../sql/sqlite/complete_job.sql" with { type: "text" };
import deadLetterBump from "../../../sql/sqlite/dead_letter_bump.sql" with { type: "text" };
import deadLetterAddTags from "../../../sql/sqlite/dead_letter_add_tags.sql" with { type: "text" };
import deadLetterCount from "../../../sql/sqlite/dead_letter_count.sql" with { type: "text" };
import deadLetterDelete from "../../../sql/sqlite/dead_letter_delete.sql" with { type: "text" };
import deadLetterFilter from "../../../sql/sqlite/dead_letter_filter.sql" with { type: "text" };
import deadLetterGet from "../../../sql/sqlite/dead_letter_get.sql" with { type: "text" };
import deadLetterList from "../../../sql/sqlite/dead_letter_list.sql" with { type: "text" };
import deadLetterPurge from "../../../sql/sqlite/dead_letter_purge.sql" with { type: "text" };
import deadLetterPut from "../../../sql/sqlite/dead_letter_put.sql" with { type: "text" };
import deadLetterReplay from "../../../sql/sqlite/dead_letter_replay.sql" with { type: "text" };
import deadLetterStats from "../../../sql/sqlite/dead_letter_stats.sql" with { type: "text" };
import deadLetterTagsObject from "../../../sql/sqlite/dead_letter_tags_object.sql" with { type: "text" };
import deadLetterTake from "../../../sql/sqlite/dead_letter_take.sql" with { type: "text" };
import deleteCompletedJob from "../../../sql/sqlite/delete_completed_job.sql" with { type: "text" };
import deleteExpired from "../../../sql/sqlite/delete_expired.sql" with { type: "text" };
import deleteJob from "../../../sql/sqlite/delete_job.sql" with { type: "text" };
import getJob from "../../../sql/sqlite/get_job.sql" with { type: "text" };
import heartbeat from "../../../sql/sqlite/heartbeat.sql" with { type: "text" };
import insertJob from "../../../sql/sqlite/insert_job.sql" with { type: "text" };
import insertJobDedup from "../../../sql/sqlite/insert_job_dedup.sql" with { type: "text" };
import insertJobUnique from "../../../sql/sqlite/insert_job_unique.sql" with { type: "text" };
import leaseAcquire from "../../../sql/sqlite/lease_acquire.sql" with { type: "text" };
import leaseRelease from "../../../sql/sqlite/lease_release.sql" with { type: "text" };
import listJobs from "../../../sql/sqlite/list_jobs.sql" with { type: "text" };
import listWorkers from "../../../sql/sqlite/list_workers.sql" with { type: "text" };
import migrationApplied from "../../../sql/sqlite/migration_applied.sql" with { type: "text" };
import migrationTableExists from "../../../sql/sqlite/migration_table_exists.sql" with { type: "text" };
import migrationMark from "../../../sql/sqlite/migration_mark.sql" with { type: "text" };
import nackJobs from "../../../sql/sqlite/nack_jobs.sql" with { type: "text" };
import queueBreakdown from "../../../sql/sqlite/queue_breakdown.sql" with { type: "text" };
import queueStats from "../../../sql/sqlite/queue_stats.sql" with { type: "text" };
import registerWorker from "../../../sql/sqlite/register_worker.sql" with { type: "text" };
import registerWorkerLive from "../../../sql/sqlite/register_worker_live.sql" with { type: "text" };
import registerWorkerRequeue from "../../../sql/sqlite/register_worker_requeue.sql" with { type: "text" };
import rescueStaleJobs from "../../../sql/sqlite/rescue_stale_jobs.sql" with { type: "text" };
import rescueStaleWorkers from "../../../sql/sqlite/rescue_stale_workers.sql" with { type: "text" };
import reset from "../../../sql/sqlite/reset.sql" with { type: "text" };
import scheduleAdvance from "../../../sql/sqlite/schedule_advance.sql" with { type: "text" };
import scheduleGet from "../../../sql/sqlite/schedule_get.sql" with { type: "text" };
import scheduleList from "../../../sql/sqlite/schedule_list.sql" with { type: "text" };
import scheduleRemove from "../../../sql/sqlite/schedule_remove.sql" with { type: "text" };
import scheduleSetStatus from "../../../sql/sqlite/schedule_set_status.sql" with { type: "text" };
import scheduleUpsert from "../../../sql/sqlite/schedule_upsert.sql" with { type: "text" };
import workerStopped from "../../../sql/sqlite/worker_stopped.sql" with { type: "text" };

// Shared pieces, spliced where a statement says /* name */ (src/backends/sql-fragments.ts).
const FRAGMENTS = { dead_letter_filter: deadLetterFilter, dead_letter_tags_object: deadLetterTagsObject };
const splice = (sql: string) => spliceFragments(sql, FRAGMENTS);

export { schema };
export const Q = {
  cancelJob,
  claimAll,
  claimQueue,
  claimQueues,
  completeJob,
  deadLetterAddTags: splice(deadLetterAddTags),
  deadLetterBump,
  deadLetterCount: splice(deadLetterCount),
  deadLetterDelete,
  deadLetterGet,
  deadLetterList: splice(deadLetterList),
  deadLetterPurge: splice(deadLetterPurge),
  deadLetterPut,
  deadLetterReplay,
  deadLetterStats,
  deadLetterTake,
  deleteCompletedJob,
  deleteExpired,
  deleteJob,
  getJob,
  heartbeat,
  insertJob,
  insertJobDedup,
  insertJobUnique,
  leaseAcquire,
  leaseRelease,
  listJobs,
  listWorkers,
  migrationApplied,
  migrationMark,
  migrationTableExists,
  nackJobs,
  queueBreakdown,
  queueStats,
  registerWorker,
  registerWorkerLive,
  registerWorkerRequeue,
  rescueStaleJobs,
  rescueStaleWorkers,
  reset,
  scheduleAdvance,
  scheduleGet,
  scheduleList,
  scheduleRemove,
  scheduleSetStatus,
  scheduleUpsert,
  workerStopped,
} as const;

import searchJobs from "../../../sql/sqlite/search_jobs.sql" with { type: "text" };
import searchJobsCount from "../../../sql/sqlite/search_jobs_count.sql" with { type: "text" };
import jobTimeline from "../../../sql/sqlite/job_timeline.sql" with { type: "text" };

/** Read-only statements for the dashboard. */
export const DQ = { searchJobs, searchJobsCount, jobTimeline } as const;

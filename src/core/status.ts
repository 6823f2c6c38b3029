/**
 * The states a `soniq_jobs` row can hold, as a runtime value: `JobStatus.Queued === "queued"`.
 * Jobs that fail for good leave the table for the dead-letter queue; `getJobStatus()` reports
 * them as `"dead_letter"`, which is not a row status.
 */
export const JobStatus = Object.freeze({
  Queued: "queued",
  Processing: "processing",
  Done: "done",
  Cancelled: "cancelled",
} as const);

/** `"queued" | "processing" | "done" | "cancelled"`. */
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

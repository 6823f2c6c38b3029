import type { JobOutcome, LeaderKey, NewJob } from "./types.ts";

/** Advisory lock keys shared with Python Soniq (blake2b-8 of "soniq.leadership.v1/<name>"). */
const LOCK_KEYS: Record<LeaderKey, string> = {
  migrations: "-3170183739012905038",
  maintenance: "4325948971829913621",
  scheduler: "1159553910399431960",
};

export function adviseLockKey(key: LeaderKey): string {
  return LOCK_KEYS[key];
}

/** Jobs as one JSON array; `argsJson` is spliced in as-is, so args are serialised exactly once. */
export function newJobsJson(jobs: readonly NewJob[]): string {
  const rows = jobs.map(
    (j) =>
      `{"id":"${j.id}","job_name":${JSON.stringify(j.jobName)},"args":${j.argsJson},"args_hash":${j.argsHash === null ? "null" : `"${j.argsHash}"`},` +
      `"max_attempts":${j.maxAttempts},"queue":${JSON.stringify(j.queue)},"priority":${j.priority},"unique_job":${j.uniqueJob ? "true" : "false"},` +
      `"dedup_key":${j.dedupKey === null ? "null" : JSON.stringify(j.dedupKey)},"scheduled_at":${j.scheduledAt ? `"${j.scheduledAt.toISOString()}"` : "null"},` +
      `"producer_id":${j.producerId === null ? "null" : JSON.stringify(j.producerId)}}`,
  );
  return `[${rows.join(",")}]`;
}

export function outcomesByKind(outcomes: readonly JobOutcome[]) {
  const done: Extract<JobOutcome, { kind: "done" }>[] = [];
  const retry: Extract<JobOutcome, { kind: "retry" }>[] = [];
  const dead: Extract<JobOutcome, { kind: "dead" }>[] = [];
  for (const o of outcomes) {
    if (o.kind === "done") done.push(o);
    else if (o.kind === "retry") retry.push(o);
    else dead.push(o);
  }
  return { done, retry, dead };
}

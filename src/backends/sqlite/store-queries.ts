// The statements of `soniq migrate-store` (src/backends/store-copy.ts), loaded from sql/sqlite (embedded in the compiled binary).
import exportDeadLetters from "../../../sql/sqlite/store_export_dead_letters.sql" with { type: "text" };
import exportJobs from "../../../sql/sqlite/store_export_jobs.sql" with { type: "text" };
import exportSchedules from "../../../sql/sqlite/store_export_schedules.sql" with { type: "text" };
import importDeadLetter from "../../../sql/sqlite/store_import_dead_letter.sql" with { type: "text" };
import importJob from "../../../sql/sqlite/store_import_job.sql" with { type: "text" };
import importMark from "../../../sql/sqlite/store_import_mark.sql" with { type: "text" };
import importSchedule from "../../../sql/sqlite/store_import_schedule.sql" with { type: "text" };
import ledgerCreate from "../../../sql/sqlite/store_ledger_create.sql" with { type: "text" };
import ledgerExists from "../../../sql/sqlite/store_ledger_exists.sql" with { type: "text" };
import lookupDeadLetters from "../../../sql/sqlite/store_lookup_dead_letters.sql" with { type: "text" };
import lookupImported from "../../../sql/sqlite/store_lookup_imported.sql" with { type: "text" };
import lookupJobs from "../../../sql/sqlite/store_lookup_jobs.sql" with { type: "text" };
import lookupSchedules from "../../../sql/sqlite/store_lookup_schedules.sql" with { type: "text" };

export const SQ = {
  exportDeadLetters,
  exportJobs,
  exportSchedules,
  importDeadLetter,
  importJob,
  importMark,
  importSchedule,
  ledgerCreate,
  ledgerExists,
  lookupDeadLetters,
  lookupImported,
  lookupJobs,
  lookupSchedules,
} as const;

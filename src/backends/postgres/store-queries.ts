// The statements of `soniq migrate-store` (src/backends/store-copy.ts), loaded from sql/ (embedded in the compiled binary).
import exportDeadLetters from "../../../sql/postgres/queries/store_export_dead_letters.sql" with { type: "text" };
import exportJobs from "../../../sql/postgres/queries/store_export_jobs.sql" with { type: "text" };
import exportSchedules from "../../../sql/postgres/queries/store_export_schedules.sql" with { type: "text" };
import importDeadLetters from "../../../sql/postgres/queries/store_import_dead_letters.sql" with { type: "text" };
import importJobs from "../../../sql/postgres/queries/store_import_jobs.sql" with { type: "text" };
import importLock from "../../../sql/postgres/queries/store_import_lock.sql" with { type: "text" };
import importMark from "../../../sql/postgres/queries/store_import_mark.sql" with { type: "text" };
import importSchedules from "../../../sql/postgres/queries/store_import_schedules.sql" with { type: "text" };
import ledgerCreate from "../../../sql/postgres/queries/store_ledger_create.sql" with { type: "text" };
import ledgerExists from "../../../sql/postgres/queries/store_ledger_exists.sql" with { type: "text" };
import lookupDeadLetters from "../../../sql/postgres/queries/store_lookup_dead_letters.sql" with { type: "text" };
import lookupImported from "../../../sql/postgres/queries/store_lookup_imported.sql" with { type: "text" };
import lookupJobs from "../../../sql/postgres/queries/store_lookup_jobs.sql" with { type: "text" };
import lookupSchedules from "../../../sql/postgres/queries/store_lookup_schedules.sql" with { type: "text" };

export const SQ = {
  exportDeadLetters,
  exportJobs,
  exportSchedules,
  importDeadLetters,
  importJobs,
  importLock,
  importMark,
  importSchedules,
  ledgerCreate,
  ledgerExists,
  lookupDeadLetters,
  lookupImported,
  lookupJobs,
  lookupSchedules,
} as const;

import { defineCommand } from "citty";
import { dbArgs, redactUrl, withApp } from "../app.ts";
import { out, plural } from "../output.ts";

/** `soniq setup`: create or upgrade the schema. Idempotent; run once per deploy. */
export const setup = defineCommand({
  meta: { name: "setup", description: "Create or upgrade the database schema (idempotent; run once per deploy)" },
  args: { ...dbArgs },
  async run({ args }) {
    await withApp(args, async (app) => {
      out(`Database: ${redactUrl(app.settings.databaseUrl)} (${app.backend.kind})`);
      const applied = await app.setup();
      const status = await app.backend.migrationStatus();
      if (applied === 0) out(`Database setup complete: no migrations needed (${plural(status.length, "migration")} already applied)`);
      else out(`Applied ${plural(applied, "migration")} successfully (${status.filter((m) => m.applied).length}/${status.length} applied)`);
    });
  },
});

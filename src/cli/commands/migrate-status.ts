import { defineCommand } from "citty";
import { dbArgs, jsonArg, redactUrl, withApp } from "../app.ts";
import { out, printJson, printTable } from "../output.ts";

/** `soniq migrate-status`: which schema migrations this build knows and which are applied. */
export const migrateStatus = defineCommand({
  meta: { name: "migrate-status", description: "Show which schema migrations are applied" },
  args: { ...dbArgs, ...jsonArg },
  async run({ args }) {
    await withApp(args, async (app) => {
      const migrations = await app.backend.migrationStatus();
      const applied = migrations.filter((m) => m.applied).length;
      if (args.json) {
        printJson({ total: migrations.length, applied, pending: migrations.length - applied, migrations });
        return;
      }
      out(`Database: ${redactUrl(app.settings.databaseUrl)} (${app.backend.kind})`);
      out(`Migrations: ${migrations.length} total, ${applied} applied, ${migrations.length - applied} pending`);
      out();
      printTable(
        ["VERSION", "NAME", "STATUS"],
        migrations.map((m) => [m.version, m.name, m.applied ? { text: "applied", color: "green" } : { text: "pending", color: "yellow" }]),
      );
      if (applied < migrations.length) out("\nRun `soniq setup` to apply the pending migrations.");
    });
  },
});

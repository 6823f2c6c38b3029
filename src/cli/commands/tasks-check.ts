/**
 * `soniq tasks-check <module>`: the task names a producer's stub module refers to (its exported
 * `taskRef`s and job handles) against `soniq_task_registry`, which every worker fills at start.
 * A name no worker has registered is drift: jobs enqueued under it would wait, or dead-letter as
 * `job_not_found`. Exit 0 when every name is registered, 2 on drift (as Python's `tasks-check`).
 */
import { defineCommand } from "citty";
import { isJobHandle, isTaskRef } from "../../core/job.ts";
import { dbArgs, jsonArg, listFlag, withApp } from "../app.ts";
import { CliError, ExitCode } from "../exit.ts";
import { importModules, type LoadedModule } from "../modules.ts";
import { formatTime, note, out, plural, printJson, printTable } from "../output.ts";

/** Exit code for drift: 2, as Python's `soniq tasks-check`. */
export const DRIFT = 2;

export interface CheckedName {
  name: string;
  /** Where the name was found, e.g. `./stubs.ts (export sendInvoice)`. */
  where: string[];
}

function nameOf(value: unknown): string | undefined {
  if (isTaskRef(value) || isJobHandle(value)) return (value as { name: string }).name;
  return undefined;
}

/** Task names of the exported taskRefs and job handles, also one level inside exported plain objects. */
export function collectTaskNames(modules: readonly LoadedModule[]): CheckedName[] {
  const found = new Map<string, CheckedName>();
  const add = (name: string, where: string) => {
    const entry = found.get(name) ?? { name, where: [] };
    entry.where.push(where);
    found.set(name, entry);
  };
  for (const mod of modules) {
    for (const key of Object.keys(mod.exports)) {
      let value: unknown;
      try {
        value = mod.exports[key];
      } catch {
        continue;
      }
      const direct = nameOf(value);
      if (direct) {
        add(direct, `${mod.spec} (export ${key})`);
        continue;
      }
      if (value && typeof value === "object" && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
        for (const [inner, innerValue] of Object.entries(value as Record<string, unknown>)) {
          const nested = nameOf(innerValue);
          if (nested) add(nested, `${mod.spec} (export ${key}.${inner})`);
        }
      }
    }
  }
  return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export const tasksCheck = defineCommand({
  meta: { name: "tasks-check", description: "Check that some worker registered every task name a stub module refers to (exit 2 on drift)" },
  args: {
    module: { type: "positional", required: true, valueHint: "module", description: "module(s) exporting taskRef(...) stubs or job handles (comma-separated)" },
    ...dbArgs,
    ...jsonArg,
  },
  async run({ args }) {
    const specs = listFlag(args.module, "module")!;
    const names = collectTaskNames(await importModules(specs));
    if (names.length === 0) {
      throw new CliError(`no taskRef or job handle is exported by ${specs.join(", ")}: export the stubs to check, e.g. export const sendInvoice = taskRef("billing.send_invoice")`);
    }
    return withApp(args, async (app) => {
      const rows = await app.listTaskRegistry();
      const lastSeen = new Map<string, Date>();
      for (const r of rows) {
        const seen = lastSeen.get(r.taskName);
        if (!seen || r.lastSeenAt > seen) lastSeen.set(r.taskName, r.lastSeenAt);
      }
      const missing = names.filter((n) => !lastSeen.has(n.name));
      if (args.json) {
        printJson({
          ok: missing.length === 0,
          checked: names.map((n) => ({ ...n, registered: lastSeen.has(n.name), lastSeenAt: lastSeen.get(n.name) ?? null })),
          missing: missing.map((n) => n.name),
        });
        return missing.length ? DRIFT : ExitCode.OK;
      }
      if (missing.length > 0) {
        note(`DRIFT: ${plural(missing.length, "task name")} of ${names.length} not registered by any worker (soniq_task_registry):`);
        for (const n of missing) note(`  ${n.name}  (${n.where.join(", ")})`);
        note("Start a worker that registers them, or fix the names in the stubs.");
        return DRIFT;
      }
      out(`OK: ${plural(names.length, "task name")} registered by a worker`);
      printTable(
        ["TASK", "LAST_SEEN"],
        names.map((n) => [n.name, formatTime(lastSeen.get(n.name))]),
      );
      return ExitCode.OK;
    });
  },
});

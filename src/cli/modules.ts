/**
 * `soniq worker` job modules: collect them from SONIQ_JOBS_MODULES and --jobs-modules, import
 * them all (reporting every failure together), and find the `Soniq` instance they export.
 */
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { isSoniqApp, type Soniq } from "../soniq.ts";
import { CliError } from "./exit.ts";

/** SONIQ_JOBS_MODULES first, then --jobs-modules, de-duplicated in order. */
export function collectModules(envValue: string | undefined, flagValue: string[] | undefined): string[] {
  const fromEnv = (envValue ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return [...new Set([...fromEnv, ...(flagValue ?? [])])];
}

export const NO_MODULES_MESSAGE =
  "SONIQ_JOBS_MODULES is not set and --jobs-modules was not passed: name the modules that define your jobs, " +
  "e.g. `soniq worker --jobs-modules ./jobs.ts` or SONIQ_JOBS_MODULES=./jobs.ts";

/**
 * Resolve a module name the way a user means it: a path (absolute, `./x`, `../x`, or `x.ts`
 * relative to `cwd`, extension optional), else a package name installed under `cwd`.
 */
export function resolveModule(spec: string, cwd: string): string {
  if (isAbsolute(spec) || spec === "." || spec === ".." || spec.startsWith("./") || spec.startsWith("../")) {
    return Bun.resolveSync(spec, cwd);
  }
  try {
    return Bun.resolveSync(`./${spec}`, cwd);
  } catch {
    try {
      return Bun.resolveSync(spec, cwd);
    } catch {
      throw new Error(`cannot find "${spec}": no file ./${spec} under ${cwd} and no package of that name`);
    }
  }
}

export interface LoadedModule {
  spec: string;
  path: string;
  exports: Record<string, unknown>;
}

function describeError(error: unknown): string {
  const message = error && typeof error === "object" && "message" in error ? String((error as { message: unknown }).message) : String(error);
  const name = error instanceof Error && error.name !== "Error" && error.name.endsWith("Error") ? `${error.name}: ` : "";
  return `${name}${message}`.split("\n")[0]!.trim();
}

/** Import every module; if any fails, throw one error listing all failures. */
export async function importModules(specs: readonly string[], cwd: string = process.cwd()): Promise<LoadedModule[]> {
  const loaded: LoadedModule[] = [];
  const failures: string[] = [];
  for (const spec of specs) {
    let path: string;
    try {
      path = resolveModule(spec, cwd);
    } catch (error) {
      failures.push(`${spec}: ${describeError(error)}`);
      continue;
    }
    try {
      const exports = (await import(isAbsolute(path) ? pathToFileURL(path).href : path)) as Record<string, unknown>;
      loaded.push({ spec, path, exports });
    } catch (error) {
      failures.push(`${spec}: ${describeError(error)}`);
    }
  }
  if (failures.length > 0) {
    const head = failures.length === 1 ? "could not import job module" : `could not import ${failures.length} job modules`;
    throw new CliError(`${head} (paths are resolved from ${cwd}):\n  ${failures.join("\n  ")}`);
  }
  return loaded;
}

/**
 * Add the modules the exported instances declare with the `jobsModules` option (or
 * SONIQ_JOBS_MODULES), resolved from `cwd` like the command line's: an app module can list its
 * job modules once, and `--jobs-modules ./app.ts` loads them all. Already imported files are
 * skipped; it repeats until no instance declares a module not yet imported.
 */
export async function withDeclaredModules(loaded: readonly LoadedModule[], cwd: string = process.cwd()): Promise<LoadedModule[]> {
  const all = [...loaded];
  const seen = new Set(all.map((m) => m.path));
  for (let round = 0; round < 10; round++) {
    const wanted: string[] = [];
    for (const { app } of findInstances(all)) {
      for (const spec of app.settings.jobsModules) {
        let path: string;
        try {
          path = resolveModule(spec, cwd);
        } catch {
          wanted.push(spec); // importModules reports it with the others
          continue;
        }
        if (!seen.has(path) && !wanted.includes(spec)) wanted.push(spec);
      }
    }
    if (wanted.length === 0) break;
    const more = await importModules(wanted, cwd);
    for (const mod of more) {
      if (seen.has(mod.path)) continue;
      seen.add(mod.path);
      all.push(mod);
    }
  }
  return all;
}

export interface FoundInstance {
  app: Soniq;
  /** Where it was found, e.g. `./jobs.ts (export app)`. */
  where: string[];
}

/** Every distinct `Soniq` instance exported by the modules, in discovery order. */
export function findInstances(modules: readonly LoadedModule[]): FoundInstance[] {
  const found = new Map<Soniq, FoundInstance>();
  for (const mod of modules) {
    for (const key of Object.keys(mod.exports)) {
      let value: unknown;
      try {
        value = mod.exports[key];
      } catch {
        continue; // an export still in its temporal dead zone
      }
      if (isSoniqApp(value)) {
        const entry = found.get(value) ?? { app: value, where: [] };
        entry.where.push(`${mod.spec} (export ${key})`);
        found.set(value, entry);
      }
    }
  }
  return [...found.values()];
}

/**
 * The instance the worker runs: the only one, or the only one with registered jobs.
 * No instance, an instance without jobs, or several with jobs is an error (exit 1).
 */
export function pickInstance(instances: readonly FoundInstance[], specs: readonly string[]): Soniq {
  if (instances.length === 0) {
    throw new CliError(
      `no Soniq instance is exported by ${specs.join(", ")}: export the instance your jobs are registered on, ` +
        "e.g. `export const app = new Soniq()` in the module that calls app.job(...)",
    );
  }
  const withJobs = instances.filter((i) => i.app.jobNames.length > 0);
  if (withJobs.length === 1) return withJobs[0]!.app;
  if (withJobs.length === 0) {
    if (instances.length === 1) {
      throw new CliError(
        `the Soniq instance exported by ${instances[0]!.where.join(", ")} has no registered jobs: ` +
          "a worker without jobs would dead-letter everything it claims (register jobs with app.job(...) in the listed modules)",
      );
    }
    throw new CliError(`found ${instances.length} Soniq instances and none has registered jobs (${instances.map((i) => i.where[0]).join("; ")})`);
  }
  const list = withJobs.map((i) => `${i.where[0]}: ${i.app.jobNames.length} job${i.app.jobNames.length === 1 ? "" : "s"}`).join("; ");
  throw new CliError(
    `ambiguous: ${withJobs.length} Soniq instances have registered jobs (${list}); register all jobs on one instance, ` +
      "or run one worker per instance with its own --jobs-modules",
  );
}

/** Shared helpers for the ecosystem tests: spawning example scripts, importing env-configured modules, running tsc. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

export const REPO = resolve(import.meta.dir, "../..");

export interface SpawnResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `bun <args>` from the repo root with extra env; resolves when it exits (or kills it after `timeoutMs`). */
export async function runBun(args: string[], { env = {}, cwd = REPO, timeoutMs = 60_000 }: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<SpawnResult> {
  const proc = Bun.spawn([process.execPath, ...args], {
    cwd,
    env: { ...process.env, SONIQ_LOG_LEVEL: "error", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Import a module whose top level reads SONIQ_* variables, with those variables set for the import only. */
export async function importWithEnv<T>(path: string, env: Record<string, string>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return (await import(path)) as T;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Scratch space under the repo (so `import ... from "soniq"` resolves to this package); gitignored. */
export const SNIPPETS_DIR = join(REPO, "test", ".doc-snippets");

/**
 * Type-check `files` with the repository's compiler options (strict), in a throwaway tsconfig
 * under test/.doc-snippets/<name>/. Returns tsc's exit code and output.
 */
export async function typecheck(name: string, files: string[], extraTypes: string[] = []): Promise<{ code: number | null; output: string }> {
  const dir = join(SNIPPETS_DIR, name);
  mkdirSync(dir, { recursive: true });
  const config = {
    extends: relative(dir, join(REPO, "tsconfig.json")),
    compilerOptions: { noEmit: true, incremental: false },
    include: [],
    // types/*.d.ts: the ambient declarations the library itself needs (`*.sql` text imports).
    files: [join(REPO, "types", "sql.d.ts"), ...extraTypes, ...files].map((f) => relative(dir, f)),
  };
  const configPath = join(dir, "tsconfig.json");
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const tsc = join(REPO, "node_modules", "typescript", "lib", "tsc.js");
  const proc = Bun.spawn([process.execPath, tsc, "--noEmit", "--pretty", "false", "-p", configPath], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, output: (stdout + stderr).trim() };
}

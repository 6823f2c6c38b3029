/**
 * The `soniq` command line. Each command lives in `commands/<name>.ts` and exports a citty
 * command; adding one is an import plus one entry in `subCommands` below.
 *
 * citty parses flags and renders help; `runCli` wraps it to get strict flag checking and
 * the exit codes documented in docs/cli.md (0 ok, 1 failure or no command, 2 usage error, 130 forced stop).
 */
import { type ArgsDef, type CommandDef, defineCommand, parseArgs, renderUsage, runCommand, type SubCommandsDef } from "citty";
import { isSoniqError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { errorMessage } from "./app.ts";
import { dashboard } from "./commands/dashboard.ts";
import { deadLetter, variadicCommands } from "./commands/dead-letter.ts";
import { inspect } from "./commands/inspect.ts";
import { jobs } from "./commands/jobs.ts";
import { migrateStatus } from "./commands/migrate-status.ts";
import { migrateStore } from "./commands/migrate-store.ts";
import { scheduler } from "./commands/scheduler.ts";
import { schedules } from "./commands/schedules.ts";
import { setup } from "./commands/setup.ts";
import { status } from "./commands/status.ts";
import { tasksCheck } from "./commands/tasks-check.ts";
import { version } from "./commands/version.ts";
import { worker } from "./commands/worker.ts";
import { CliError, ExitCode, UsageError } from "./exit.ts";
import { flushOutput, note, out, stripAnsi, useColor } from "./output.ts";

/** Every top-level command. */
export const subCommands: SubCommandsDef = {
  setup,
  worker,
  status,
  inspect,
  "migrate-status": migrateStatus,
  "migrate-store": migrateStore,
  "tasks-check": tasksCheck,
  jobs,
  "dead-letter": deadLetter,
  dashboard,
  scheduler,
  schedules,
  version,
};

export const main = defineCommand({
  meta: { name: "soniq", version: VERSION, description: "Soniq background jobs: workers, setup and queue management" },
  subCommands,
});

type AnyCommand = CommandDef<ArgsDef>;

async function resolveValue<T>(value: T | Promise<T> | (() => T) | (() => Promise<T>) | undefined): Promise<T | undefined> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

async function findSub(cmd: AnyCommand, name: string): Promise<AnyCommand | undefined> {
  const subs = await resolveValue(cmd.subCommands);
  if (!subs) return undefined;
  if (Object.hasOwn(subs, name)) return resolveValue(subs[name]) as Promise<AnyCommand>;
  for (const sub of Object.values(subs)) {
    const resolved = (await resolveValue(sub)) as AnyCommand | undefined;
    const meta = await resolveValue(resolved?.meta);
    const aliases = meta?.alias === undefined ? [] : Array.isArray(meta.alias) ? meta.alias : [meta.alias];
    if (aliases.includes(name)) return resolved;
  }
  return undefined;
}

async function hasSubCommands(cmd: AnyCommand): Promise<boolean> {
  const subs = await resolveValue(cmd.subCommands);
  return Boolean(subs && Object.keys(subs).length > 0);
}

const isHelp = (token: string) => token === "--help" || token === "-h";

/** The help text of a command, coloured only when stdout is a TTY and NO_COLOR is unset. */
export async function usageText(cmd: AnyCommand): Promise<string> {
  const text = (await renderUsage(cmd, cmd === main ? undefined : (main as AnyCommand))).replace(/[ \t]+$/gm, "");
  return useColor() ? text : stripAnsi(text);
}

const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Reject flags the command does not define (citty ignores them) and surplus positionals. */
async function checkArgs(cmd: AnyCommand, rawArgs: string[], commandPath: string): Promise<void> {
  const defs = (await resolveValue(cmd.args)) ?? {};
  const names = new Set<string>(["help", "h"]);
  const valueFlags = new Set<string>();
  let positionals = 0;
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") {
      positionals++;
      continue;
    }
    const aliases = "alias" in def && def.alias !== undefined ? (Array.isArray(def.alias) ? def.alias : [def.alias]) : [];
    for (const variant of new Set([name, camel(name), kebab(name), ...aliases])) {
      names.add(variant);
      if (def.type === "boolean") names.add(`no-${variant}`);
      if (def.type === "string" || def.type === "enum") valueFlags.add(variant);
    }
  }
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i]!;
    if (token === "--") break;
    if (!token.startsWith("-") || token === "-") continue;
    const [flag, inlineValue] = token.startsWith("--") ? [token.slice(2).split("=")[0]!, token.includes("=")] : [token.slice(1).split("=")[0]!, token.includes("=")];
    const parts = token.startsWith("--") ? [flag] : [...flag];
    for (const part of parts) {
      if (!names.has(part)) throw new UsageError(`unknown option ${token.startsWith("--") ? `--${part}` : `-${part}`}`, commandPath);
    }
    if (!inlineValue && valueFlags.has(parts[parts.length - 1]!)) {
      if (i + 1 >= rawArgs.length) throw new UsageError(`${token} needs a value`, commandPath);
      i++;
    }
  }
  let parsed: { _: string[] };
  try {
    parsed = parseArgs(rawArgs, defs);
  } catch (error) {
    throw new UsageError(stripAnsi(errorMessage(error)), commandPath);
  }
  if (!variadicCommands.has(cmd) && parsed._.length > positionals) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed._[positionals])}`, commandPath);
  }
}

function printError(error: unknown, commandPath: string): number {
  if (error instanceof UsageError) {
    note(`error: ${error.message}`);
    note(`Run \`${error.command ?? commandPath} --help\` for usage.`);
    return ExitCode.USAGE;
  }
  if (error instanceof CliError) {
    note(`error: ${error.message}`);
    return error.exitCode;
  }
  if (isSoniqError(error)) {
    note(`error: ${error.message}`);
    return ExitCode.FAILURE;
  }
  if (error instanceof Error && error.name === "CLIError") {
    // citty's own argument errors (missing positional, bad enum value).
    note(`error: ${stripAnsi(error.message)}`);
    note(`Run \`${commandPath} --help\` for usage.`);
    return ExitCode.USAGE;
  }
  note(`error: ${errorMessage(error)}`);
  if (process.env.SONIQ_DEBUG && error instanceof Error && error.stack) note(error.stack);
  return ExitCode.FAILURE;
}

/** Run the CLI on `argv` (without the executable and script). Returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const path = ["soniq"];
  try {
    let cmd = main as AnyCommand;
    let i = 0;
    const helpWanted = argv.slice(0, argv.includes("--") ? argv.indexOf("--") : argv.length).some(isHelp);
    while (await hasSubCommands(cmd)) {
      const token = argv[i];
      if (token === undefined || (helpWanted && token.startsWith("-"))) {
        if (helpWanted) {
          out(await usageText(cmd));
          return ExitCode.OK;
        }
        note(await usageText(cmd));
        // `soniq` alone asks for help rather than misusing a command: exit 1, as Python's CLI.
        if (cmd === main && argv.length === 0) return ExitCode.FAILURE;
        throw new UsageError(`missing command: one of ${Object.keys((await resolveValue(cmd.subCommands)) ?? {}).join(", ")}`, path.join(" "));
      }
      if (cmd === main && i === 0 && (token === "--version" || token === "-v") && argv.length === 1) {
        out(VERSION);
        return ExitCode.OK;
      }
      if (token.startsWith("-")) {
        throw new UsageError(`unexpected option ${token} before the command name: options go after it (${path.join(" ")} <command> [options])`, path.join(" "));
      }
      const sub = await findSub(cmd, token);
      if (!sub) throw new UsageError(`unknown command "${token}"`, path.join(" "));
      cmd = sub;
      path.push(token);
      i++;
    }
    const rawArgs = argv.slice(i);
    if (helpWanted) {
      out(await usageText(cmd));
      return ExitCode.OK;
    }
    await checkArgs(cmd, rawArgs, path.join(" "));
    const { result } = await runCommand(cmd, { rawArgs });
    return typeof result === "number" ? result : ExitCode.OK;
  } catch (error) {
    return printError(error, path.join(" "));
  }
}

/** Run, flush stdout/stderr, and exit with the code (open connections must not keep the process alive). */
export async function runAndExit(argv: string[]): Promise<never> {
  const code = await runCli(argv);
  await flushOutput();
  process.exit(code);
}

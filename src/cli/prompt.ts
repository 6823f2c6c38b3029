/** The `[y/N]` confirmation destructive bulk actions ask for. */
import { createInterface } from "node:readline/promises";
import { CliError } from "./exit.ts";

export interface PromptIO {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

const defaultIO = (): PromptIO => ({ input: process.stdin, output: process.stderr });

/** Ask a yes/no question; only `y` or `yes` (any case) counts as yes. */
export async function ask(question: string, io: PromptIO = defaultIO()): Promise<boolean> {
  const rl = createInterface({ input: io.input, output: io.output, terminal: false });
  try {
    io.output.write(`${question} [y/N] `);
    const answer = await new Promise<string>((resolve) => {
      rl.once("line", resolve);
      rl.once("close", () => resolve(""));
    });
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}

/**
 * Go ahead with a destructive action: at once with `--yes`; otherwise ask on a TTY, and refuse
 * (exit 1) when stdin is not a TTY, so scripts must say `--yes` explicitly.
 */
export async function confirmOrRefuse(question: string, yes: boolean, io: PromptIO = defaultIO()): Promise<void> {
  if (yes) return;
  refuseWithoutTty(false, io);
  if (!(await ask(question, io))) throw new CliError("aborted: nothing was changed");
}

/** The first half of `confirmOrRefuse`, checked before any work: no `--yes` and no TTY is a refusal. */
export function refuseWithoutTty(yes: boolean, io: Pick<PromptIO, "input"> = defaultIO()): void {
  if (!yes && !io.input.isTTY) throw new CliError("refusing without --yes: stdin is not a TTY");
}

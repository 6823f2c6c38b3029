/** Exit codes and the errors that carry them. Every command failure ends in one of these. */
export const ExitCode = {
  /** Success. */
  OK: 0,
  /** The command ran and failed (database unreachable, job not found, refused confirmation...). */
  FAILURE: 1,
  /** Bad command line: unknown command or flag, bad flag value, missing argument. */
  USAGE: 2,
  /** `soniq worker`, `scheduler` or `dashboard` got a second SIGINT/SIGTERM/SIGHUP and exited without draining. */
  FORCED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure with a one-line reason, printed as `error: <message>` on stderr. */
export class CliError extends Error {
  override readonly name: string = "CliError";
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.FAILURE) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** A command-line mistake: exit code 2, with a hint to `--help`. */
export class UsageError extends CliError {
  override readonly name: string = "UsageError";
  /** The command path the hint should point at, e.g. `soniq jobs list`. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message, ExitCode.USAGE);
    this.command = command;
  }
}

/**
 * One CLI command. Each lives in its own file under commands/ and is found by the dispatcher
 * (main.ts), so a part of the project adds its command without editing a shared list.
 */
export interface Command {
  /** Words that select it, e.g. "import" or "eval forecast". */
  name: string;
  /** One line for `earmark --help`. */
  summary: string;
  /** Full help: usage line, options, an example. Printed by `earmark <name> --help`. */
  help: string;
  /** Returns the process exit code (0 ok, 1 failure, 2 usage error). */
  run(argv: string[]): Promise<number>;
}

/** Thrown for bad arguments: the dispatcher prints the message and the command's help, exit 2. */
export class UsageError extends Error {}

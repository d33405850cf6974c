/*
 * What a command handler may touch of the outside world. Passing it in (instead of writing to
 * process.stdout and process.exitCode directly) lets tests run the CLI in-process and read exactly
 * what a user would see.
 */
export interface Output {
  write(text: string): unknown;
}

export interface CliContext {
  readonly stdout: Output & { isTTY?: boolean; columns?: number };
  readonly stderr: Output & { isTTY?: boolean };
  /** The exit status the process will end with. */
  status: number;
}

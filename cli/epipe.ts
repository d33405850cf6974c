/*
 * A reader that goes away is not an error: `nestvm guests | head -1` closes the pipe after one
 * line, and the next write to stdout fails with EPIPE. Node ignores SIGPIPE and reports EPIPE as
 * an 'error' event on the stream, which, unheard, crashes the process with a stack trace. Like the
 * coreutils, nestvm then ends at once and quietly: status 0, nothing written anywhere (the other
 * stream may be the closed one). Any other stream error is still a bug and is rethrown.
 */

interface ErrorSource {
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
}

/** Make EPIPE on any of `streams` end the process quietly through `exit`. */
export function exitQuietlyOnEpipe(streams: ErrorSource[], exit: (status: number) => void): void {
  for (const stream of streams) {
    stream.on('error', (err) => {
      if (err.code !== 'EPIPE') throw err;
      exit(0);
    });
  }
}

/*
 * --trace FILE: the event stream as JSON lines, one event per line, in the order they happened.
 *
 * Events hold only numbers and strings and are built in a fixed key order, so the same guest and
 * options give a byte-identical file (labs diff traces; graders compare them). Writes are buffered
 * and flushed in large blocks; close() flushes the rest. A file that cannot be opened is an input
 * error reported by the CLI before the guest runs.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { EventSink } from '../mmu/events.js';
import { UsageError } from './errors.js';

const FLUSH_AT = 1 << 16;

export class TraceWriter<E> implements EventSink<E> {
  readonly enabled = true;
  private fd: number;
  private buffered: string[] = [];
  private size = 0;
  lines = 0;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw new UsageError(`--trace ${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }

  emit(event: E): void {
    const line = JSON.stringify(event);
    this.buffered.push(line);
    this.size += line.length + 1;
    this.lines++;
    if (this.size >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    if (this.buffered.length === 0) return;
    writeSync(this.fd, this.buffered.join('\n') + '\n');
    this.buffered = [];
    this.size = 0;
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}

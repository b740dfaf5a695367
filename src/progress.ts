// Progress of long work (downloads, conversions) for a person, on stderr: stdout belongs to the
// protocol. A terminal gets one bar redrawn in place; a pipe or a log file gets a line now and then.

import { formatBytes } from './http/download.js';

export interface ProgressBar {
  /** `done` of `total` units (bytes unless `unit` is 'count'); `total` may be unknown. */
  update(done: number, total?: number): void;
  /** Ends the bar with a last line (the bar's own summary when `line` is not given). */
  finish(line?: string): void;
}

export interface ProgressOptions {
  stream?: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  /** Default: the stream's own isTTY. */
  tty?: boolean;
  /** Lines on a pipe at most this often; default 15 s. */
  lineEveryMs?: number;
  unit?: 'bytes' | 'count';
  now?: () => number;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

export function createProgressBar(label: string, options: ProgressOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  const lineEveryMs = options.lineEveryMs ?? 15_000;
  const now = options.now ?? Date.now;
  const amount = (value: number) => (options.unit === 'count' ? value.toLocaleString('en-US') : formatBytes(value));
  const started = now();
  let firstDone: number | undefined;
  let firstAt = started;
  let lastDraw = 0;
  let lastLine = started;
  let done = 0;
  let total: number | undefined;
  let drawn = false;
  let finished = false;

  const describe = (): string => {
    // The rate counts from the first update, so resumed bytes and a slow start do not skew it.
    const elapsed = (now() - firstAt) / 1000;
    const gained = done - (firstDone ?? 0);
    const rate = elapsed > 0.5 ? gained / elapsed : undefined;
    const parts = [total !== undefined && total > 0 ? `${percent(done, total)} ${amount(done)} of ${amount(total)}` : amount(done)];
    if (rate !== undefined && rate > 0) {
      parts.push(options.unit === 'count' ? `${amount(Math.round(rate))}/s` : `${formatBytes(rate)}/s`);
      if (total !== undefined && total > done) parts.push(`ETA ${duration((total - done) / rate)}`);
    }
    return parts.join(', ');
  };

  return {
    update(value, size) {
      if (finished) return;
      done = value;
      if (size !== undefined) total = size;
      const at = now();
      if (firstDone === undefined) {
        firstDone = value;
        firstAt = at;
      }
      if (tty) {
        if (at - lastDraw < REDRAW_MS && drawn) return;
        lastDraw = at;
        drawn = true;
        const filled = total !== undefined && total > 0 ? Math.min(BAR_WIDTH, Math.round((done / total) * BAR_WIDTH)) : 0;
        const bar = total !== undefined && total > 0 ? `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ` : '';
        // Cut to the terminal's width: a wrapped line could not be redrawn in place.
        const line = `${label} ${bar}${describe()}`;
        const width = stream.columns;
        stream.write(`\r\x1b[K${width !== undefined && width > 10 && line.length >= width ? `${line.slice(0, width - 2)}…` : line}`);
        return;
      }
      // A line saying nothing has happened yet is noise in a log.
      if (done === 0 && !drawn) return;
      if (!drawn || at - lastLine >= lineEveryMs) {
        drawn = true;
        lastLine = at;
        stream.write(`${label}: ${describe()}\n`);
      }
    },
    finish(line) {
      if (finished) return;
      finished = true;
      const text = line ?? `${label}: ${amount(done)} in ${duration((now() - started) / 1000)}`;
      stream.write(tty ? `\r\x1b[K${text}\n` : `${text}\n`);
    },
  };
}

function percent(done: number, total: number): string {
  return `${Math.min(100, Math.floor((done / total) * 1000) / 10).toFixed(1)}%`;
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

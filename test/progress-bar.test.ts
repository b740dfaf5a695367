// The stderr progress bar: redrawn in place on a terminal, a line now and then on a pipe.

import { describe, expect, it } from 'vitest';
import { createProgressBar } from '../src/progress.js';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (text: string) => writes.push(text) } };
}

describe('createProgressBar', () => {
  it('on a terminal redraws one line (carriage return, no newline) and ends it with the summary', () => {
    let now = 0;
    const { writes, stream } = sink(true);
    const bar = createProgressBar('edges', { stream, now: () => now });
    for (let step = 1; step <= 10; step += 1) {
      now += 1000;
      bar.update(step * 1024 * 1024, 10 * 1024 * 1024);
    }
    bar.finish();
    expect(writes.length).toBe(11);
    expect(writes.slice(0, -1).every((text) => text.startsWith('\r') && !text.includes('\n'))).toBe(true);
    expect(writes[4]).toMatch(/edges \[#+-+\] 50\.0% 5\.0 MB of 10\.0 MB, 1\.0 MB\/s, ETA 5 s/);
    expect(writes.at(-1)).toMatch(/^\r\x1b\[Kedges: 10\.0 MB in 10 s\n$/);
  });

  it('on a narrow terminal cuts the line to its width, so it never wraps', () => {
    const writes: string[] = [];
    const bar = createProgressBar('cc-main-2026-mar-apr-may-domain-edges.txt.gz', { stream: { isTTY: true, columns: 40, write: (text: string) => writes.push(text) }, now: () => 0 });
    bar.update(1024, 4096);
    expect(writes[0]!.replace('\r\x1b[K', '').length).toBeLessThan(40);
  });

  it('on a pipe writes whole lines, at most one per interval, with no control characters', () => {
    let now = 0;
    const { writes, stream } = sink(false);
    const bar = createProgressBar('edges', { stream, now: () => now, lineEveryMs: 15_000 });
    for (let second = 1; second <= 60; second += 1) {
      now = second * 1000;
      bar.update(second * 1000, 60_000);
    }
    bar.finish('edges: done');
    expect(writes.every((text) => text.endsWith('\n') && !text.includes('\r'))).toBe(true);
    expect(writes.length).toBe(5);
    expect(writes.at(-1)).toBe('edges: done\n');
  });
});

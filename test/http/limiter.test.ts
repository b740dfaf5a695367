import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../src/http/limiter.js';

describe('createLimiter', () => {
  it('runs waiters first in, first out within the bound', async () => {
    const limiter = createLimiter(2);
    const order: number[] = [];
    const gates: Array<() => void> = [];
    const tasks = [0, 1, 2, 3, 4].map((index) =>
      limiter.run(
        () =>
          new Promise<void>((resolve) => {
            order.push(index);
            gates.push(resolve);
          }),
      ),
    );
    await Promise.resolve();
    expect(order).toEqual([0, 1]);
    expect(limiter.waiting).toBe(3);
    while (gates.length > 0) {
      gates.shift()!();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await Promise.all(tasks);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(limiter.active).toBe(0);
  });

  it('drops an aborted waiter from the queue without taking a slot', async () => {
    const limiter = createLimiter(1);
    let release!: () => void;
    const first = limiter.run(() => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    const second = limiter.run(async () => 'ran', controller.signal);
    controller.abort(new Error('stop'));
    await expect(second).rejects.toThrow('stop');
    expect(limiter.waiting).toBe(0);
    release();
    await first;
    expect(await limiter.run(async () => 'next')).toBe('next');
  });
});

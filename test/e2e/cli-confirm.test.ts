// The built CLI above BACKLINK_GAP_CONFIRM_ABOVE, against a loopback fake of OneClickSEO's paid gap
// runs: without --confirm the quote and how to approve go to stderr, the exit code is 3 and nothing
// is sent upstream; with --confirm the run is made.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOneClickSeo, startFakeOneClickSeo } from '../helpers/fake-oneclickseo.js';
import { CLI, ROOT } from '../proof/harness.js';

let fake: FakeOneClickSeo;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOneClickSeo();
  fake.state = 'completed';
  dir = mkdtempSync(join(tmpdir(), 'blg-cli-confirm-'));
});

afterAll(async () => {
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    BACKLINK_GAP_CACHE_DIR: dir,
    ONECLICKSEO_API_KEY: 'test-oneclickseo-key',
    ONECLICKSEO_BASE_URL: fake.baseUrl,
    BACKLINK_GAP_CONFIRM_ABOVE: '5',
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: ROOT, env });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

describe('CLI --confirm', () => {
  const gap = ['gap', 'me.com', '--competitors', 'a.com,b.com', '--provider', 'oneclickseo'];

  it('without --confirm: the quote and the command that approves it on stderr, exit 3, nothing sent upstream', async () => {
    const held = await cli(...gap);
    expect(held.code).toBe(3);
    expect(held.stdout).toBe('');
    expect(held.stderr).toContain('oneclickseo: ~7 credits');
    expect(held.stderr).toContain('nothing was sent upstream');
    // The threshold in the provider's unit, as the tool's quote gives it.
    expect(held.stderr).toContain('BACKLINK_GAP_CONFIRM_ABOVE (5 credits per call)');
    expect(held.stderr).toContain(`node dist/cli.js ${gap.join(' ')} --confirm`);
    expect(fake.requests).toHaveLength(0);

    const json = await cli(...gap, '--json');
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ confirmation: 'required', confirm_above: 5 });
    expect(fake.requests).toHaveLength(0);
  });

  it('with --confirm: the run is made and shown', async () => {
    const paid = await cli(...gap, '--confirm');
    expect(paid.code, paid.stderr).toBe(0);
    expect(paid.stdout).toContain('marketingblog.com');
    expect(fake.created()).toBe(1);
  });

  it('help lists --confirm for every paid command', async () => {
    for (const command of ['gap', 'backlinks', 'intersect']) expect((await cli('help', command)).stdout).toContain('--confirm');
    expect((await cli('help')).stdout).toContain('--confirm');
  });
});

// The built CLI's selection flags (--route, --exclude-route, --category, --exclude-category) on the sample.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { COMPETITORS, YOU } from '../helpers/sample-truth.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const cacheDir = mkdtempSync(join(tmpdir(), 'blg-cli-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: cacheDir, BACKLINK_GAP_CACHE_DIR: cacheDir },
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

describe('CLI selection flags', () => {
  it('gap --exclude-route drops paid listings, and prospects --route/--category select from the run', async () => {
    const gap = await cli('gap', YOU, '--competitors', COMPETITORS.join(','), '--top', '50', '--exclude-route', 'paid_listing', '--json');
    expect(gap.code, gap.stderr).toBe(0);
    const data = JSON.parse(gap.stdout) as { run_id: string; prospects: Array<{ route: string }>; left_out: { filtered: number } };
    expect(data.prospects.length).toBeGreaterThan(0);
    expect(data.prospects.every((row) => row.route !== 'paid_listing')).toBe(true);
    expect(data.left_out.filtered).toBeGreaterThan(0);

    const listed = await cli('prospects', data.run_id, '--route', 'membership,institutional_list', '--exclude-category', 'government', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    const rows = (JSON.parse(listed.stdout) as { data: Array<{ route: string; category: string }> }).data;
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(['membership', 'institutional_list']).toContain(row.route);
      expect(row.category).not.toBe('government');
    }
  });

  it('refuses a route that does not exist', async () => {
    const result = await cli('gap', YOU, '--competitors', COMPETITORS[0]!, '--route', 'paid_directory');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/paid_listing/);
  });
});

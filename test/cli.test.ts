// The command line a person meets first: help for every command, errors about --port and the
// environment that say what to fix (never internal_error), and hints that name the command in use.

import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, tempDir } from './proof/harness.js';

const COMMANDS = ['serve', 'gap', 'prospects', 'backlinks', 'intersect', 'usage', 'check', 'help'];

function run(args: string[], env: Record<string, string> = {}) {
  const home = tempDir('cli');
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: home, BACKLINK_GAP_CACHE_DIR: home, ...env },
    input: '',
    timeout: 20_000,
    encoding: 'utf8',
  });
}

describe('help', () => {
  for (const args of [['--help'], ['help'], ['-h']]) {
    it(`${args.join(' ')} lists every command on a line of its own`, () => {
      const result = run(args);
      expect(result.status).toBe(0);
      for (const command of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^ {2}${command} +\\S.+$`, 'm'));
      // In a clone the command a user has is node dist/cli.js.
      expect(result.stdout).toContain('node dist/cli.js gap bluebonnetplumbing.com');
      expect(result.stdout).not.toMatch(/^ {2}backlink-gap-mcp /m);
    });
  }

  it('help COMMAND shows that command, and an unknown one says so', () => {
    const gap = run(['help', 'gap']);
    expect(gap.status).toBe(0);
    expect(gap.stdout).toMatch(/^node dist\/cli\.js gap YOUR_DOMAIN/);
    expect(gap.stdout).toContain('--competitors');
    const unknown = run(['help', 'nope']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/"nope": it is not a command/);
  });

  it('a usage hint names the command in use', () => {
    const result = run(['gap']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('node dist/cli.js gap YOUR_DOMAIN');
    expect(result.stderr).toContain('Run node dist/cli.js gap --help');
  });
});

describe('--port', () => {
  it('not a number, or out of range, says so and names the port', () => {
    const word = run(['serve', '--http', '--port', 'abc']);
    expect(word.status).toBe(2);
    expect(word.stderr).toMatch(/--port must be a whole number from 0 to 65535 \(got "abc"\)/);
    const high = run(['serve', '--http', '--port', '70000']);
    expect(high.status).toBe(2);
    expect(high.stderr).toMatch(/--port 70000 is out of range/);
    for (const result of [word, high]) expect(`${result.stdout}${result.stderr}`).not.toMatch(/internal_error/);
  });

  it('busy says so and names the port', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const address = holder.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      // Asynchronous, so the holder can answer meanwhile.
      const child = spawn(process.execPath, [CLI, 'serve', '--http', '--port', String(port)], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: tempDir('cli'), BACKLINK_GAP_CACHE: 'off' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(2);
      expect(stderr).toContain(`--port ${port} is already in use on 127.0.0.1`);
      expect(stderr).not.toMatch(/internal_error/);
    } finally {
      holder.close();
    }
  });
});

describe('start-up configuration', () => {
  it('BACKLINK_GAP_PROVIDER naming a provider without its key is an error naming both variables', () => {
    for (const [provider, variable] of [
      ['moz', 'MOZ_API_TOKEN'],
      ['dataforseo', 'DATAFORSEO_LOGIN and DATAFORSEO_PASSWORD'],
      ['domdetailer', 'DOMDETAILER_API_KEY'],
    ] as const) {
      const result = run(['usage'], { BACKLINK_GAP_PROVIDER: provider });
      expect(result.status, provider).toBe(2);
      expect(result.stderr).toContain(`BACKLINK_GAP_PROVIDER is ${provider}, but ${variable}`);
      expect(result.stdout).toBe('');
    }
    expect(run(['usage'], { BACKLINK_GAP_PROVIDER: 'moz', MOZ_API_TOKEN: 'moz-token-1234' }).status).toBe(0);
    expect(run(['usage'], { BACKLINK_GAP_PROVIDER: 'local' }).status).toBe(0);
  });
});

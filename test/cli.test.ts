// The command line a person meets first: help for every command, errors about --port and the
// environment that say what to fix (never internal_error), and hints that name the command in use.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { createProviderRegistry } from '../src/providers/registry.js';
import { CLI, ROOT, stdioSession, tempDir, textOf } from './proof/harness.js';

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

describe('gap', () => {
  it('the "More:" line names the command in use, not the npm bin', () => {
    const result = run(['gap', 'bluebonnetplumbing.com', '--competitors', 'austinplumbingco.com,capitalcityplumbers.com']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^More: node dist\/cli\.js prospects run_\w+ /m);
    expect(result.stdout).not.toContain('backlink-gap-mcp prospects');
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

describe('provider hints name the command this user has', () => {
  const commoncrawlGap = ['gap', 'me.com', '--competitors', 'a.com', '--provider', 'commoncrawl'];

  it('in a clone: node dist/cli.js webgraph import DIR', () => {
    const result = run(commoncrawlGap);
    expect(result.stderr).toContain('run `node dist/cli.js webgraph import DIR`');
    expect(result.stderr).toContain('Run `node dist/cli.js webgraph fetch`');
    expect(result.stderr).not.toMatch(/`backlink-gap-mcp /);
  });

  it('installed from npm (run from node_modules): npx backlink-gap-mcp webgraph import DIR', () => {
    const project = tempDir('cli-installed');
    const installed = join(project, 'node_modules', 'backlink-gap-mcp');
    mkdirSync(installed, { recursive: true });
    symlinkSync(join(ROOT, 'dist'), join(installed, 'dist'));
    symlinkSync(join(ROOT, 'package.json'), join(installed, 'package.json'));
    const result = spawnSync(process.execPath, [join(installed, 'dist', 'cli.js'), ...commoncrawlGap], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '', HOME: project, BACKLINK_GAP_CACHE_DIR: project },
      input: '',
      timeout: 20_000,
      encoding: 'utf8',
    });
    expect(result.stderr).toContain('run `npx backlink-gap-mcp webgraph import DIR`');
    expect(result.stderr).not.toMatch(/node \S*cli\.js/);
  });

  it('a server started from a clone names its script by absolute path (its hints are read in the MCP client)', async () => {
    const home = tempDir('cli-server');
    const session = await stdioSession({ BACKLINK_GAP_CACHE_DIR: home });
    try {
      const result = await session.call('backlink_gap', { your_domain: 'me.com', competitor_domains: ['a.com'], provider: 'commoncrawl' });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(`run \`node ${CLI} webgraph import DIR\``);
    } finally {
      await session.close();
    }
  });

  it('the registry and the provider take the command from the config; backlink-gap-mcp without one', async () => {
    const home = tempDir('cli-config');
    const hint = async (command?: string) => {
      const config = loadConfig({ BACKLINK_GAP_CACHE_DIR: home }, command === undefined ? {} : { command });
      const registry = createProviderRegistry(config, { logger: silentLogger });
      return registry.get('commoncrawl').then(
        () => '',
        (error: Error) => error.message,
      );
    };
    expect(await hint('node dist/cli.js')).toContain('run `node dist/cli.js webgraph import DIR`');
    expect(await hint()).toContain('run `backlink-gap-mcp webgraph import DIR`');
  });
});

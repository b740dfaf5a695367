// Build a runtime for tests: temp cache dir, fake clock, fake or real providers, captured logs.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../../src/config.js';
import type { ProviderName } from '../../src/domain.js';
import { createLogger } from '../../src/log.js';
import type { Provider } from '../../src/providers/provider.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';

export interface TestRuntime extends Runtime {
  dir: string;
  logs: string[];
  clock: { now: number };
  dispose(): Promise<void>;
}

export function testRuntime(
  env: Record<string, string> = {},
  overrides?: Partial<Record<ProviderName, Provider>>,
  dir = mkdtempSync(join(tmpdir(), 'blg-test-')),
): TestRuntime {
  const config: Config = loadConfig({ BACKLINK_GAP_CACHE_DIR: dir, BACKLINK_GAP_CACHE: 'persistent', ...env });
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', secrets: [], write: (line) => logs.push(line) });
  const clock = { now: Date.parse('2026-11-27T12:00:00Z') };
  const runtime = createRuntime(config, { logger, ...(overrides && { overrides }), now: () => clock.now });
  return {
    ...runtime,
    dir,
    logs,
    clock,
    async dispose() {
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

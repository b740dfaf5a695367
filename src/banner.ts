// The one-line start-up banner (stderr): version, transport, providers in use, cache.

import type { Runtime } from './runtime.js';
import { VERSION } from './version.js';

export function banner(runtime: Runtime, transport: string): string {
  const { config, registry } = runtime;
  const providers = registry
    .configured()
    .map((name) => (name === 'local' ? `local (${config.dataPath ?? 'bundled synthetic sample'})` : name))
    .join(', ');
  const cache = config.cacheMode === 'persistent' ? `persistent at ${config.cacheDir}` : config.cacheMode;
  return `backlink-gap-mcp ${VERSION} · ${transport} · providers: ${providers} · default: ${registry.resolve('gap')} · cache: ${cache}`;
}

// Which providers exist, which are configured, and lazy construction so start-up loads no adapter code.

import type { Dispatcher } from 'undici';
import type { Config } from '../config.js';
import { PROVIDER_VARIABLES } from '../config.js';
import { PROVIDER_TITLES, type ProviderName } from '../domain.js';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { duckDbInstalled } from './local/engine/duckdb.js';
import { chooseRelease, notConfiguredMessage } from './local/engine/webgraph-releases.js';
import type { Capability, Provider } from './provider.js';

/** What each provider serves (natively or computed), known without loading its adapter. */
export const CAPABILITIES: Record<ProviderName, readonly Capability[]> = {
  local: ['gap', 'backlinks', 'intersect'],
  localseodata: ['gap'],
  oneclickseo: ['gap', 'prospects'],
  moz: ['gap', 'intersect'],
  domdetailer: ['gap', 'backlinks', 'intersect'],
  dataforseo: ['gap', 'backlinks', 'intersect'],
  commoncrawl: ['gap', 'backlinks', 'intersect'],
};

/** Provider preference when a call names none: the first configured paid one, then your own local
 *  data, then an imported Common Crawl release, else the bundled sample. */
const PAID: readonly ProviderName[] = ['localseodata', 'oneclickseo', 'moz', 'domdetailer', 'dataforseo'];


export interface ProviderRegistry {
  /** Configured providers in preference order (local always last). */
  configured(): ProviderName[];
  isConfigured(name: ProviderName): boolean;
  /** The provider to use for `capability` when `requested` (or the default) names it. */
  resolve(capability: Capability, requested?: ProviderName): ProviderName;
  /** Every configured provider with `capability`. */
  allWith(capability: Capability): ProviderName[];
  get(name: ProviderName): Promise<Provider>;
  /** Providers built so far (for shutdown and usage). */
  built(): Provider[];
  dailyBudget(name: ProviderName): number | undefined;
  close(): Promise<void>;
}

export interface RegistryDependencies {
  logger: Logger;
  /** Tests route every adapter through a MockAgent. */
  dispatcher?: Dispatcher;
  /** Tests inject ready providers (fakes or preloaded) by name. */
  overrides?: Partial<Record<ProviderName, Provider>>;
}

export function createProviderRegistry(config: Config, deps: RegistryDependencies): ProviderRegistry {
  const p = config.providers;
  const isConfigured = (name: ProviderName): boolean => {
    if (deps.overrides?.[name]) return true;
    switch (name) {
      case 'local':
        return true;
      case 'localseodata':
        return p.localseodata.apiKey !== undefined;
      case 'oneclickseo':
        return p.oneclickseo.apiKey !== undefined;
      case 'moz':
        return p.moz.token !== undefined || (p.moz.accessId !== undefined && p.moz.secretKey !== undefined);
      case 'domdetailer':
        return p.domdetailer.apiKey !== undefined;
      case 'dataforseo':
        return p.dataforseo.login !== undefined && p.dataforseo.password !== undefined;
      case 'commoncrawl':
        // Read from the release manifests each time: an import made while the server runs counts.
        return chooseRelease(config.cacheDir, config.webgraphRelease) !== undefined && duckDbInstalled();
    }
  };
  const PREFERENCE: readonly ProviderName[] =
    config.dataPath !== undefined ? [...PAID, 'local', 'commoncrawl'] : [...PAID, 'commoncrawl', 'local'];
  const configured = () => PREFERENCE.filter(isConfigured);
  const instances = new Map<ProviderName, Promise<Provider>>();
  const ready = new Map<ProviderName, Provider>();

  const build = async (name: ProviderName): Promise<Provider> => {
    const override = deps.overrides?.[name];
    if (override) return override;
    const adapter = { logger: deps.logger, ...(deps.dispatcher && { dispatcher: deps.dispatcher }) };
    switch (name) {
      case 'local':
        return (await import('./local.js')).createLocalProvider({
          ...(config.dataPath !== undefined && { dataPath: config.dataPath }),
          logger: deps.logger,
          // Unset, DuckDB answers where it is installed (the bundle leaves it out: the index answers),
          // except over vendor exports, whose load the answers need anyway.
          ...((config.localEngine ?? (duckDbInstalled() ? 'duckdb' : 'index')) === 'duckdb' && {
            engine: {
              cacheDir: config.cacheDir,
              exports: config.localEngine === 'duckdb',
              ...(config.duckdbMemory !== undefined && { memoryLimit: config.duckdbMemory }),
            },
          }),
        });
      case 'localseodata':
        return (await import('./localseodata.js')).createLocalSeoDataProvider(p.localseodata, adapter);
      case 'oneclickseo':
        return (await import('./oneclickseo.js')).createOneClickSeoProvider(p.oneclickseo, adapter);
      case 'moz':
        return (await import('./moz.js')).createMozProvider(p.moz, adapter);
      case 'domdetailer':
        return (await import('./domdetailer.js')).createDomDetailerProvider(p.domdetailer, adapter);
      case 'dataforseo':
        return (await import('./dataforseo.js')).createDataForSeoProvider(p.dataforseo, adapter);
      case 'commoncrawl':
        return (await import('./commoncrawl.js')).createCommonCrawlProvider({
          cacheDir: config.cacheDir,
          ...(config.webgraphRelease !== undefined && { release: config.webgraphRelease }),
          ...(config.duckdbMemory !== undefined && { memoryLimit: config.duckdbMemory }),
          command: config.command,
          logger: deps.logger,
        });
    }
  };

  const notConfigured = (name: ProviderName): UsageError => {
    if (name === 'local') return new UsageError('not_configured', 'The local provider is always available.');
    if (name === 'commoncrawl') {
      if (chooseRelease(config.cacheDir, config.webgraphRelease) !== undefined && !duckDbInstalled()) {
        return new UsageError(
          'not_configured',
          'The Common Crawl web graph is imported, but it is read with DuckDB (@duckdb/node-api), which this install leaves out (the Claude Desktop bundle does, to stay small): run the server installed from npm (`npx backlink-gap-mcp`) to use provider commoncrawl.',
        );
      }
      return new UsageError('not_configured', notConfiguredMessage(config.webgraphRelease, config.command));
    }
    const others = configured().join(', ');
    return new UsageError(
      'not_configured',
      `${PROVIDER_TITLES[name]} is not configured: set ${PROVIDER_VARIABLES[name]} in the server's environment (the MCP client config "env"). Configured now: ${others}.`,
    );
  };

  return {
    configured,
    isConfigured,
    resolve(capability, requested) {
      if (requested !== undefined) {
        if (!isConfigured(requested)) throw notConfigured(requested);
        if (!CAPABILITIES[requested].includes(capability)) {
          const able = configured().filter((name) => CAPABILITIES[name].includes(capability));
          const any = PREFERENCE.filter((name) => CAPABILITIES[name].includes(capability));
          throw new UsageError(
            'unsupported',
            `${PROVIDER_TITLES[requested]} cannot serve ${capability}. Configured providers that can: ${able.join(', ') || 'none'} (all providers that can: ${any.join(', ')}).`,
          );
        }
        return requested;
      }
      const fallback = config.defaultProvider;
      if (fallback !== undefined && isConfigured(fallback) && CAPABILITIES[fallback].includes(capability)) return fallback;
      const first = configured().find((name) => CAPABILITIES[name].includes(capability));
      return first ?? 'local';
    },
    allWith(capability) {
      const able = configured().filter((name) => CAPABILITIES[name].includes(capability));
      // The bundled sample is synthetic: it joins "all" only when nothing real can answer.
      const real = able.filter((name) => name !== 'local' || config.dataPath !== undefined);
      return real.length > 0 ? real : able;
    },
    get(name) {
      if (!isConfigured(name)) return Promise.reject(notConfigured(name));
      let instance = instances.get(name);
      if (!instance) {
        instance = build(name).then((provider) => {
          ready.set(name, provider);
          return provider;
        });
        instance.catch(() => instances.delete(name));
        instances.set(name, instance);
      }
      return instance;
    },
    built: () => [...ready.values()],
    dailyBudget(name) {
      return name === 'local' || name === 'commoncrawl' ? undefined : p[name].dailyBudget;
    },
    async close() {
      await Promise.allSettled([...ready.values()].map((provider) => provider.close?.()));
    },
  };
}

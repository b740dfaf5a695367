// Environment → typed configuration. The only reader of process.env.

import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { PROVIDER_NAMES, type ProviderName } from './domain.js';
import { UsageError } from './errors.js';

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const baseUrl = (fallback: string) =>
  optionalText.pipe(
    z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .optional()
      .transform((value) => (value ?? fallback).replace(/\/+$/, '')),
  );

const positiveNumber = optionalText.pipe(
  z.coerce.number<string>({ message: "must be a number" }).positive('must be greater than 0').optional(),
);

const nonNegativeNumber = optionalText.pipe(
  z.coerce.number<string>({ message: 'must be a number' }).min(0, 'must be 0 or more').optional(),
);

const integerIn = (fallback: number, min: number, max: number) =>
  optionalText.pipe(
    z.coerce
      .number<string>({ message: "must be a whole number" })
      .int('must be a whole number')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`)
      .optional()
      .transform((value) => value ?? fallback),
  );

const listOf = optionalText.transform((value) =>
  value === undefined
    ? []
    : value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
);

const envSchema = z.object({
  BACKLINK_GAP_DATA: optionalText,
  BACKLINK_GAP_PROVIDER: optionalText.pipe(
    z.enum(PROVIDER_NAMES, { message: `must be one of ${PROVIDER_NAMES.join(', ')}` }).optional(),
  ),
  BACKLINK_GAP_CACHE_DIR: optionalText,
  BACKLINK_GAP_CACHE: optionalText.pipe(
    z
      .enum(['persistent', 'memory', 'off'], { message: 'must be persistent, memory or off' })
      .optional()
      .transform((value) => value ?? 'persistent'),
  ),
  BACKLINK_GAP_LOCAL_ENGINE: optionalText.pipe(z.enum(['index', 'duckdb'], { message: 'must be index or duckdb' }).optional()),
  BACKLINK_GAP_DUCKDB_MEMORY: optionalText.refine((value) => value === undefined || /^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(value), {
    message: 'must be a size such as 2GB or 512MB',
  }),
  BACKLINK_GAP_WEBGRAPH_RELEASE: optionalText.refine((value) => value === undefined || /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(value), {
    message: 'must be a release name such as cc-main-2026-mar-apr-may',
  }),
  BACKLINK_GAP_CACHE_TTL: integerIn(86_400, 0, 10 * 365 * 86_400),
  BACKLINK_GAP_CACHE_MAX_MB: integerIn(256, 1, 1_000_000),
  BACKLINK_GAP_MEMORY_CACHE_MB: integerIn(64, 1, 100_000),
  BACKLINK_GAP_RUN_TTL: integerIn(30 * 86_400, 60, 10 * 365 * 86_400),
  BACKLINK_GAP_DEADLINE_MS: integerIn(50_000, 1_000, 600_000),
  BACKLINK_GAP_CONFIRM_ABOVE: nonNegativeNumber,
  BACKLINK_GAP_LOG_LEVEL: optionalText.pipe(
    z
      .enum(['debug', 'info', 'warn', 'error', 'silent'], { message: 'must be debug, info, warn, error or silent' })
      .optional()
      .transform((value) => value ?? 'info'),
  ),
  BACKLINK_GAP_HTTP_TOKEN: optionalText,
  BACKLINK_GAP_ALLOWED_ORIGINS: listOf,
  BACKLINK_GAP_ALLOWED_HOSTS: listOf,
  BACKLINK_GAP_HTTP_MAX_BODY_KB: integerIn(1024, 1, 100_000),
  BACKLINK_GAP_SESSION_IDLE_SECONDS: integerIn(1800, 5, 7 * 86_400),
  BACKLINK_GAP_MAX_SESSIONS: integerIn(1000, 1, 1_000_000),
  BACKLINK_GAP_REDIS_URL: optionalText.pipe(
    z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, { message: 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379' })
      .optional(),
  ),
  BACKLINK_GAP_REDIS_PREFIX: optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,40}$/, { message: 'must be 1-40 letters, digits, _ . or -' })
      .optional(),
  ),
  BACKLINK_GAP_WEBGRAPH_INFO_URL: baseUrl('https://index.commoncrawl.org/graphinfo.json'),
  BACKLINK_GAP_WEBGRAPH_DATA_URL: baseUrl('https://data.commoncrawl.org/projects/hyperlinkgraph'),
  // Whether a level's vertices/edges come as one file or as parts named by a `.paths.gz` listing is
  // UNVERIFIED for recent releases: auto tries the single file, then the listing.
  BACKLINK_GAP_WEBGRAPH_PARTS: optionalText.pipe(
    z
      .enum(['auto', 'single', 'listing'], { message: 'must be auto, single or listing' })
      .optional()
      .transform((value) => value ?? 'auto'),
  ),
  BACKLINK_GAP_FETCH_ALLOW_LOOPBACK: optionalText.pipe(
    z
      .enum(['0', '1'], { message: 'must be 1 (allow loopback, for tests) or 0' })
      .optional()
      .transform((value) => value === '1'),
  ),

  LOCALSEODATA_API_KEY: optionalText,
  LOCALSEODATA_BASE_URL: baseUrl('https://api.localseodata.com'),
  LOCALSEODATA_DAILY_BUDGET: positiveNumber,
  // domain_rank's scale is UNVERIFIED (providers.md §1.2): auto decides it once per answer.
  LOCALSEODATA_RANK_SCALE: optionalText.pipe(
    z
      .enum(['auto', '100', '1000'], { message: 'must be auto, 100 or 1000' })
      .optional()
      .transform((value) => value ?? 'auto'),
  ),
  ONECLICKSEO_API_KEY: optionalText,
  ONECLICKSEO_BASE_URL: baseUrl('https://api.oneclickseo.ai/v1'),
  ONECLICKSEO_DAILY_BUDGET: positiveNumber,
  MOZ_API_TOKEN: optionalText,
  MOZ_ACCESS_ID: optionalText,
  MOZ_SECRET_KEY: optionalText,
  MOZ_BASE_URL: baseUrl('https://lsapi.seomoz.com'),
  MOZ_DAILY_BUDGET: positiveNumber,
  DOMDETAILER_API_KEY: optionalText,
  DOMDETAILER_APP: optionalText.transform((value) => value ?? 'backlink-gap-mcp'),
  DOMDETAILER_BASE_URL: baseUrl('https://domdetailer.com'),
  DOMDETAILER_BACKLINKS_PATH: optionalText.transform((value) => value ?? '/api2/backlinks.php'),
  DOMDETAILER_DAILY_BUDGET: positiveNumber,
  DATAFORSEO_LOGIN: optionalText,
  DATAFORSEO_PASSWORD: optionalText,
  DATAFORSEO_BASE_URL: baseUrl('https://api.dataforseo.com'),
  DATAFORSEO_DAILY_BUDGET: positiveNumber,
  // bulk_ranks/live: one extra billed call per gap for each prospect's own rank (its price is UNVERIFIED).
  DATAFORSEO_BULK_RANKS: optionalText.pipe(
    z
      .enum(['0', '1'], { message: 'must be 1 (read prospects\' own rank with bulk_ranks) or 0 (authority unknown)' })
      .optional()
      .transform((value) => value !== '0'),
  ),
});

export interface LocalSeoDataSettings {
  apiKey?: string;
  baseUrl: string;
  dailyBudget?: number;
  /** Scale of `domain_rank` (undocumented): `auto` (default) reads an answer with any value above 100 as 0-1000, else 0-100. */
  rankScale?: 'auto' | '100' | '1000';
}
export interface OneClickSeoSettings {
  apiKey?: string;
  baseUrl: string;
  dailyBudget?: number;
}
export interface MozSettings {
  token?: string;
  accessId?: string;
  secretKey?: string;
  baseUrl: string;
  dailyBudget?: number;
}
export interface DomDetailerSettings {
  apiKey?: string;
  app: string;
  baseUrl: string;
  /** The seed's `/api2/backlinks.php`; public clients use `/api2/getBacklinks.php`. */
  backlinksPath: string;
  dailyBudget?: number;
}
export interface DataForSeoSettings {
  login?: string;
  password?: string;
  baseUrl: string;
  dailyBudget?: number;
  /** DATAFORSEO_BULK_RANKS: read each gap prospect's own rank with bulk_ranks/live (default on). */
  bulkRanks?: boolean;
}

export interface WebgraphDownloadSettings {
  /** BACKLINK_GAP_WEBGRAPH_INFO_URL: the release list, newest first. */
  infoUrl: string;
  /** BACKLINK_GAP_WEBGRAPH_DATA_URL: releases are folders `<release>/<level>/` under it. */
  dataUrl: string;
  /** BACKLINK_GAP_WEBGRAPH_PARTS: `single` file per kind, a `listing` (.paths.gz) of parts, or `auto` (single, then listing). */
  parts: 'auto' | 'single' | 'listing';
}

export interface Config {
  /** BACKLINK_GAP_DATA; undefined means the bundled sample. */
  dataPath?: string;
  defaultProvider?: ProviderName;
  cacheDir: string;
  /** Shared state (persistent cache tier, runs, ledger, budget holds) for several instances. */
  redis?: { url: string; prefix: string };
  cacheMode: 'persistent' | 'memory' | 'off';
  /** BACKLINK_GAP_LOCAL_ENGINE: `duckdb` answers local data from Parquet converted once into the
   *  cache (scales past memory); `index` from the in-memory index. Unset: DuckDB where it is installed
   *  (the Claude Desktop bundle leaves it out), else the index. */
  localEngine?: 'index' | 'duckdb';
  /** BACKLINK_GAP_DUCKDB_MEMORY: DuckDB's memory_limit for local data; unset, a quarter of the machine. */
  duckdbMemory?: string;
  /** BACKLINK_GAP_WEBGRAPH_RELEASE: the imported Common Crawl release the commoncrawl provider answers
   *  from; unset, the newest imported one. */
  webgraphRelease?: string;
  cacheTtlSeconds: number;
  cacheMaxBytes: number;
  memoryCacheBytes: number;
  runTtlSeconds: number;
  /** Whole-call deadline for upstream work, under the ~60 s MCP clients wait for a tool. */
  deadlineMs: number;
  /** BACKLINK_GAP_CONFIRM_ABOVE: a paid call whose uncached estimate exceeds this amount, in that
   *  provider's own unit (USD, rows, credits), is asked for confirmation first; unset: never asked. */
  confirmAbove?: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Where `webgraph fetch` reads Common Crawl's release list and files (tests: a loopback fake). */
  webgraphDownload: WebgraphDownloadSettings;
  /** check_prospects may fetch loopback addresses (127.0.0.0/8, ::1) as well as public ones; for tests only. */
  fetchAllowLoopback: boolean;
  /** The command that runs this program as its user would type it (`npx backlink-gap-mcp`,
   *  `backlink-gap-mcp`, `node dist/cli.js`): hints and errors name it. The CLI passes its invocation(). */
  command: string;
  http: {
    token?: string;
    allowedOrigins: string[];
    allowedHosts: string[];
    maxBodyBytes: number;
    sessionIdleMs: number;
    /** Live HTTP sessions at most; an initialize past it is answered 503 with Retry-After. */
    maxSessions: number;
  };
  providers: {
    localseodata: LocalSeoDataSettings;
    oneclickseo: OneClickSeoSettings;
    moz: MozSettings;
    domdetailer: DomDetailerSettings;
    dataforseo: DataForSeoSettings;
  };
}

/** Names of the environment variables that configure each paid provider, for error messages. */
export const PROVIDER_VARIABLES: Record<Exclude<ProviderName, 'local'>, string> = {
  localseodata: 'LOCALSEODATA_API_KEY',
  oneclickseo: 'ONECLICKSEO_API_KEY',
  moz: 'MOZ_API_TOKEN (or MOZ_ACCESS_ID and MOZ_SECRET_KEY)',
  domdetailer: 'DOMDETAILER_API_KEY',
  dataforseo: 'DATAFORSEO_LOGIN and DATAFORSEO_PASSWORD',
  commoncrawl: 'no key: import a release with the webgraph import command (BACKLINK_GAP_WEBGRAPH_RELEASE picks one)',
};

/** Variables holding a secret. Each must be long enough to redact: a key of 1-3 characters would be
 *  found inside ordinary words in every log line, so it is refused as implausible at start-up. */
const SECRET_VARIABLES = [
  'LOCALSEODATA_API_KEY',
  'ONECLICKSEO_API_KEY',
  'MOZ_API_TOKEN',
  'MOZ_ACCESS_ID',
  'MOZ_SECRET_KEY',
  'DOMDETAILER_API_KEY',
  'DATAFORSEO_LOGIN',
  'DATAFORSEO_PASSWORD',
  'BACKLINK_GAP_HTTP_TOKEN',
] as const;
const MIN_SECRET_LENGTH = 4;

/** The platform's user cache directory for this app. */
export function defaultCacheDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  const home = env.HOME ?? env.USERPROFILE ?? homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'backlink-gap-mcp');
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'backlink-gap-mcp', 'Cache');
  const xdg = env.XDG_CACHE_HOME?.trim();
  return join(xdg ? xdg : join(home, '.cache'), 'backlink-gap-mcp');
}

/** Read and validate the environment; a bad value is reported by its variable name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: { command?: string } = {}): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      return `${name} ${issue.message}`;
    });
    throw new UsageError('config_error', `Invalid configuration: ${problems.join('; ')}.`);
  }
  const e = parsed.data;
  const tooShort = SECRET_VARIABLES.filter((name) => {
    const value = e[name];
    return value !== undefined && value.length < MIN_SECRET_LENGTH;
  });
  if (tooShort.length > 0) {
    throw new UsageError(
      'config_error',
      `Invalid configuration: ${tooShort.join(', ')} ${tooShort.length === 1 ? 'is' : 'are'} shorter than ${MIN_SECRET_LENGTH} characters, too short to be a real key (a truncated paste?). Set the full value, or unset it.`,
    );
  }
  if ((e.MOZ_ACCESS_ID === undefined) !== (e.MOZ_SECRET_KEY === undefined) && e.MOZ_API_TOKEN === undefined) {
    throw new UsageError(
      'config_error',
      'Invalid configuration: MOZ_ACCESS_ID and MOZ_SECRET_KEY must be set together (or set MOZ_API_TOKEN instead).',
    );
  }
  if ((e.DATAFORSEO_LOGIN === undefined) !== (e.DATAFORSEO_PASSWORD === undefined)) {
    throw new UsageError('config_error', 'Invalid configuration: DATAFORSEO_LOGIN and DATAFORSEO_PASSWORD must be set together.');
  }
  const keyed: Record<Exclude<ProviderName, 'local' | 'commoncrawl'>, boolean> = {
    localseodata: e.LOCALSEODATA_API_KEY !== undefined,
    oneclickseo: e.ONECLICKSEO_API_KEY !== undefined,
    moz: e.MOZ_API_TOKEN !== undefined || (e.MOZ_ACCESS_ID !== undefined && e.MOZ_SECRET_KEY !== undefined),
    domdetailer: e.DOMDETAILER_API_KEY !== undefined,
    dataforseo: e.DATAFORSEO_LOGIN !== undefined && e.DATAFORSEO_PASSWORD !== undefined,
  };
  const chosen = e.BACKLINK_GAP_PROVIDER;
  // A default provider without its key would quietly answer from the sample instead: refuse it.
  // (commoncrawl needs no key: whether a release is imported is the registry's to say.)
  if (chosen !== undefined && chosen !== 'local' && chosen !== 'commoncrawl' && !keyed[chosen]) {
    throw new UsageError(
      'config_error',
      `Invalid configuration: BACKLINK_GAP_PROVIDER is ${chosen}, but ${PROVIDER_VARIABLES[chosen]} ${chosen === 'dataforseo' ? 'are' : 'is'} not set. Set ${chosen === 'dataforseo' ? 'them' : 'it'}, or unset BACKLINK_GAP_PROVIDER to use the local data (no key needed).`,
    );
  }
  return {
    ...(e.BACKLINK_GAP_DATA !== undefined && { dataPath: e.BACKLINK_GAP_DATA }),
    ...(e.BACKLINK_GAP_PROVIDER !== undefined && { defaultProvider: e.BACKLINK_GAP_PROVIDER }),
    cacheDir: e.BACKLINK_GAP_CACHE_DIR ?? defaultCacheDir(env),
    ...(e.BACKLINK_GAP_REDIS_URL !== undefined && { redis: { url: e.BACKLINK_GAP_REDIS_URL, prefix: e.BACKLINK_GAP_REDIS_PREFIX ?? 'blg' } }),
    cacheMode: e.BACKLINK_GAP_CACHE,
    ...(e.BACKLINK_GAP_LOCAL_ENGINE !== undefined && { localEngine: e.BACKLINK_GAP_LOCAL_ENGINE }),
    ...(e.BACKLINK_GAP_DUCKDB_MEMORY !== undefined && { duckdbMemory: e.BACKLINK_GAP_DUCKDB_MEMORY }),
    ...(e.BACKLINK_GAP_WEBGRAPH_RELEASE !== undefined && { webgraphRelease: e.BACKLINK_GAP_WEBGRAPH_RELEASE }),
    cacheTtlSeconds: e.BACKLINK_GAP_CACHE_TTL,
    cacheMaxBytes: e.BACKLINK_GAP_CACHE_MAX_MB * 1024 * 1024,
    memoryCacheBytes: e.BACKLINK_GAP_MEMORY_CACHE_MB * 1024 * 1024,
    runTtlSeconds: e.BACKLINK_GAP_RUN_TTL,
    deadlineMs: e.BACKLINK_GAP_DEADLINE_MS,
    ...(e.BACKLINK_GAP_CONFIRM_ABOVE !== undefined && { confirmAbove: e.BACKLINK_GAP_CONFIRM_ABOVE }),
    logLevel: e.BACKLINK_GAP_LOG_LEVEL,
    fetchAllowLoopback: e.BACKLINK_GAP_FETCH_ALLOW_LOOPBACK,
    command: options.command ?? 'backlink-gap-mcp',
    webgraphDownload: {
      infoUrl: e.BACKLINK_GAP_WEBGRAPH_INFO_URL,
      dataUrl: e.BACKLINK_GAP_WEBGRAPH_DATA_URL,
      parts: e.BACKLINK_GAP_WEBGRAPH_PARTS,
    },
    http: {
      ...(e.BACKLINK_GAP_HTTP_TOKEN !== undefined && { token: e.BACKLINK_GAP_HTTP_TOKEN }),
      allowedOrigins: e.BACKLINK_GAP_ALLOWED_ORIGINS,
      allowedHosts: e.BACKLINK_GAP_ALLOWED_HOSTS,
      maxBodyBytes: e.BACKLINK_GAP_HTTP_MAX_BODY_KB * 1024,
      sessionIdleMs: e.BACKLINK_GAP_SESSION_IDLE_SECONDS * 1000,
      maxSessions: e.BACKLINK_GAP_MAX_SESSIONS,
    },
    providers: {
      localseodata: clean({
        apiKey: e.LOCALSEODATA_API_KEY,
        baseUrl: e.LOCALSEODATA_BASE_URL,
        dailyBudget: e.LOCALSEODATA_DAILY_BUDGET,
        rankScale: e.LOCALSEODATA_RANK_SCALE,
      }),
      oneclickseo: clean({ apiKey: e.ONECLICKSEO_API_KEY, baseUrl: e.ONECLICKSEO_BASE_URL, dailyBudget: e.ONECLICKSEO_DAILY_BUDGET }),
      moz: clean({
        token: e.MOZ_API_TOKEN,
        accessId: e.MOZ_ACCESS_ID,
        secretKey: e.MOZ_SECRET_KEY,
        baseUrl: e.MOZ_BASE_URL,
        dailyBudget: e.MOZ_DAILY_BUDGET,
      }),
      domdetailer: clean({
        apiKey: e.DOMDETAILER_API_KEY,
        app: e.DOMDETAILER_APP,
        baseUrl: e.DOMDETAILER_BASE_URL,
        backlinksPath: e.DOMDETAILER_BACKLINKS_PATH,
        dailyBudget: e.DOMDETAILER_DAILY_BUDGET,
      }),
      dataforseo: clean({
        login: e.DATAFORSEO_LOGIN,
        password: e.DATAFORSEO_PASSWORD,
        baseUrl: e.DATAFORSEO_BASE_URL,
        dailyBudget: e.DATAFORSEO_DAILY_BUDGET,
        bulkRanks: e.DATAFORSEO_BULK_RANKS,
      }),
    },
  };
}

/** Drop undefined members so optional properties are absent, not undefined. */
function clean<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never;
}

/** Every secret in the configuration, for redaction. */
function redisPassword(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

export function secretsOf(config: Config): string[] {
  const p = config.providers;
  const values = [
    p.localseodata.apiKey,
    p.oneclickseo.apiKey,
    p.moz.token,
    p.moz.accessId,
    p.moz.secretKey,
    p.domdetailer.apiKey,
    p.dataforseo.login,
    p.dataforseo.password,
    config.http.token,
    redisPassword(config.redis?.url),
  ];
  const out = values.filter((v): v is string => typeof v === 'string' && v.length >= 4);
  // Basic auth headers carry base64(id:secret); redact that form too.
  if (p.moz.accessId && p.moz.secretKey) out.push(Buffer.from(`${p.moz.accessId}:${p.moz.secretKey}`).toString('base64'));
  if (p.dataforseo.login && p.dataforseo.password) {
    out.push(Buffer.from(`${p.dataforseo.login}:${p.dataforseo.password}`).toString('base64'));
  }
  return out;
}

// Cache figures: the tier micro-benchmarks of bench/cache.ts, and a scripted 50-call research session
// over stdio against a fake paid provider (DomDetailer on 127.0.0.1), with a server restart half-way
// on the same cache dir. A repeated or derived call must be a hit: no upstream request.

import { startFakeDomDetailer } from './fake-domdetailer.js';
import {
  callTool,
  errorText,
  type ExternalRow,
  fromExternal,
  type GroupOptions,
  missingRow,
  openSession,
  ourServer,
  ourServerAvailable,
  type Row,
  type Session,
  single,
  structuredOf,
  tempDir,
} from './shared.js';

type MeasureCache = () => Promise<ExternalRow[]>;
/** Loaded by a computed path so this file compiles while the module is still being written. */
const MODULE = '../cache.js';

/** first: nothing was paid for yet, a miss is expected. repeat/derived: must be served without a call. */
type Expectation = 'first' | 'repeat' | 'derived';

interface Step {
  tool: string;
  args: (state: State) => Record<string, unknown> | undefined;
  expect: Expectation;
  label: string;
  /** Where to look when this step misses. */
  hint?: string;
  /** Restart the server process (same cache dir) before this step. */
  restartBefore?: boolean;
}

interface State {
  runId?: string;
  secondRunId?: string;
  cursor?: string;
}

const YOU = 'bench-you.com';
const RIVALS = ['rival-one.com', 'rival-two.com', 'rival-three.com', 'rival-four.com', 'rival-five.com'];
const GAP = { your_domain: YOU, competitor_domains: RIVALS, provider: 'domdetailer' };
const REORDERED = { ...GAP, competitor_domains: [...RIVALS].reverse() };

function script(): Step[] {
  const prospects = (label: string, extra: Record<string, unknown>, expect: Expectation = 'derived', second = false): Step => ({
    tool: 'list_prospects',
    label,
    expect,
    args: (state) => {
      const runId = second ? state.secondRunId : state.runId;
      return runId === undefined ? undefined : { run_id: runId, ...extra };
    },
  });
  const gap = (label: string, extra: Record<string, unknown>, expect: Expectation, restartBefore = false): Step => ({
    tool: 'backlink_gap',
    label,
    expect,
    args: () => ({ ...GAP, ...extra }),
    ...(restartBefore && { restartBefore }),
  });
  const backlinks = (label: string, extra: Record<string, unknown>, expect: Expectation, restartBefore = false): Step => ({
    tool: 'get_backlinks',
    label,
    expect,
    args: () => ({ target: RIVALS[0], provider: 'domdetailer', ...extra }),
    ...(restartBefore && { restartBefore }),
  });
  return [
    gap('gap', {}, 'first'),
    gap('same gap again', {}, 'repeat'),
    { ...gap('gap, competitors reordered', {}, 'repeat'), args: () => REORDERED },
    gap('gap, smaller limit', { limit: 50 }, 'derived'),
    gap('gap, detailed', { response_format: 'detailed' }, 'derived'),
    gap('gap, top 30', { top: 30 }, 'derived'),
    {
      ...gap('gap, min_competitors 2', { min_competitors: 2 }, 'derived'),
      hint:
        'gapKey in src/service.ts puts min_competitors in the upstream key, but DomDetailer (like LocalSEOData and DataForSEO) ' +
        'never receives it: the service filters after ranking. Key on it only for providers that send it upstream, and filter the cached answer',
    },
    ...[1, 2, 3, 4, 5].map((page) => prospects(`prospects page ${page}`, { per_page: 10, page })),
    prospects('sort by authority', { sort: 'rank' }),
    prospects('sort by backlinks', { sort: 'backlinks' }),
    prospects('sort by referring domains', { sort: 'referring_domains' }),
    prospects('sort by overlap', { sort: 'overlap' }),
    prospects('score ascending', { order: 'asc' }),
    prospects('min_authority 20', { min_authority: 20 }),
    prospects('max_spam 30', { max_spam: 30 }),
    prospects('dofollow only', { dofollow: true }),
    prospects('one competitor', { competitor: RIVALS[1] }),
    prospects('search q', { q: 'site1' }),
    prospects('hide platforms', { include_platforms: false }),
    prospects('CSV export', { format: 'csv' }),
    backlinks('backlinks of a competitor', {}, 'first'),
    backlinks('same backlinks again', {}, 'repeat'),
    backlinks('backlinks, smaller limit', { limit: 50 }, 'derived'),
    {
      tool: 'get_backlinks',
      label: 'backlinks, next page (cursor)',
      expect: 'derived',
      args: (state) => (state.cursor === undefined ? undefined : { target: RIVALS[0], provider: 'domdetailer', cursor: state.cursor }),
      hint:
        'DomDetailer sends its whole sample (≤5,000 rows) in one call, and the first call cached it: a cursor into that ' +
        'answer should page the cached rows (service.ts backlinks cursor / accept), not call again',
    },
    backlinks('backlinks, detailed', { response_format: 'detailed' }, 'derived'),
    backlinks('backlinks one_per_domain', { mode: 'one_per_domain' }, 'first'),
    backlinks('backlinks one_per_domain again', { mode: 'one_per_domain' }, 'repeat'),
    { ...backlinks('backlinks of another competitor', {}, 'first'), args: () => ({ target: RIVALS[1], provider: 'domdetailer' }) },
    ...[6, 7, 8].map((page) => prospects(`prospects page ${page}`, { per_page: 10, page })),
    prospects('dofollow, min_authority 10, by authority', { dofollow: true, min_authority: 10, sort: 'rank' }),
    // --- the MCP client restarts the server (a new app session) on the same cache dir ---
    gap('gap after restart', {}, 'repeat', true),
    prospects('old run after restart', { page: 1 }),
    prospects('old run page 2 by authority', { page: 2, per_page: 10, sort: 'rank' }),
    backlinks('backlinks after restart', {}, 'repeat'),
    backlinks('one_per_domain after restart', { mode: 'one_per_domain' }, 'repeat'),
    { ...gap('reordered gap after restart', {}, 'repeat'), args: () => REORDERED },
    prospects('new run, min_authority 30', { min_authority: 30 }, 'derived', true),
    prospects('new run, dofollow', { dofollow: true }, 'derived', true),
    prospects('new run, per_page 50', { per_page: 50 }, 'derived', true),
    prospects('new run, page 2 of 20', { per_page: 20, page: 2 }, 'derived', true),
    prospects('new run, competitor', { competitor: RIVALS[2] }, 'derived', true),
    prospects('new run, search', { q: 'site2' }, 'derived', true),
    prospects('new run, by overlap', { sort: 'overlap' }, 'derived', true),
    prospects('new run, CSV', { format: 'csv' }, 'derived', true),
  ];
}

interface Outcome {
  step: number;
  label: string;
  expect: Expectation;
  hint?: string;
  hit: boolean;
  upstream: number;
  skipped?: string;
  error?: string;
}

async function researchSession(options: GroupOptions): Promise<Row[]> {
  const group = 'cache';
  const figure = 'cache: scripted 50-call session, repeated/derived calls that hit';
  const unavailable = ourServerAvailable();
  if (unavailable) return [missingRow(group, figure, '%', unavailable, 100)];
  const fake = await startFakeDomDetailer(20);
  const cache = tempDir('session');
  const server = ourServer({
    BACKLINK_GAP_CACHE_DIR: cache.path,
    BACKLINK_GAP_CACHE: 'persistent',
    DOMDETAILER_API_KEY: 'bench-not-a-real-key',
    DOMDETAILER_BASE_URL: fake.baseUrl,
  });
  const steps = script();
  const outcomes: Outcome[] = [];
  const state: State = {};
  let session: Session | undefined;
  try {
    session = await openSession(server);
    for (const [index, step] of steps.entries()) {
      if (step.restartBefore) {
        await session.close();
        session = await openSession(server);
      }
      const args = step.args(state);
      const base = { step: index + 1, label: step.label, expect: step.expect, ...(step.hint !== undefined && { hint: step.hint }) };
      if (args === undefined) {
        outcomes.push({ ...base, hit: false, upstream: 0, skipped: 'no run id or cursor from an earlier step' });
        continue;
      }
      const before = fake.requests();
      try {
        const result = await callTool(session, step.tool, args);
        const upstream = fake.requests() - before;
        const structured = structuredOf(result);
        if (step.tool === 'backlink_gap' && typeof structured.run_id === 'string') {
          if (state.runId === undefined) state.runId = structured.run_id;
          if (step.restartBefore) state.secondRunId = structured.run_id;
        }
        if (step.tool === 'get_backlinks' && state.cursor === undefined && typeof structured.next_cursor === 'string') {
          state.cursor = structured.next_cursor;
        }
        // The result's own word where it gives one; list_prospects reads runs, so no upstream call = hit.
        const hit = typeof structured.cached === 'boolean' ? structured.cached && upstream === 0 : upstream === 0;
        outcomes.push({ ...base, hit, upstream });
      } catch (error) {
        outcomes.push({ ...base, hit: false, upstream: fake.requests() - before, error: errorText(error) });
      }
    }
  } catch (error) {
    return [missingRow(group, figure, '%', `session failed: ${errorText(error)}`, 100)];
  } finally {
    await session?.close();
    await fake.close();
    cache.remove();
  }
  const opening = outcomes[0];
  if (opening?.error !== undefined) {
    return [missingRow(group, figure, '%', `the session's first call failed, so nothing could be reused: ${opening.error}`, 100)];
  }
  const reused = outcomes.filter((outcome) => outcome.expect !== 'first');
  const hits = reused.filter((outcome) => outcome.hit).length;
  const missed = reused.filter((outcome) => !outcome.hit);
  const firsts = outcomes.filter((outcome) => outcome.expect === 'first');
  const upstream = outcomes.reduce((sum, outcome) => sum + outcome.upstream, 0);
  const describe = (outcome: Outcome) =>
    `#${outcome.step} ${outcome.label}${outcome.skipped ? ` (skipped: ${outcome.skipped})` : outcome.error ? ` (error: ${outcome.error})` : ` (${outcome.upstream} upstream)`}` +
    (outcome.hint !== undefined && !outcome.skipped && !outcome.error ? ` — ${outcome.hint}` : '');
  options.log(`cache session: ${hits}/${reused.length} repeated or derived calls hit; ${upstream} upstream requests`);
  for (const outcome of missed) options.log(`  miss ${describe(outcome)}`);
  const allHits = outcomes.filter((outcome) => outcome.hit).length;
  return [
    {
      group,
      figure,
      unit: '%',
      ours: single((hits / Math.max(1, reused.length)) * 100),
      target: 100,
      direction: 'at_least',
      note: `${outcomes.length} calls: ${hits}/${reused.length} repeated or derived calls hit; all calls ${allHits}/${outcomes.length}; ${firsts.length} first-time questions; ${upstream} upstream requests in all`,
      missNote: `Misses: ${missed.map(describe).join('; ')}.`,
    },
  ];
}

export async function measureCacheGroup(options: GroupOptions): Promise<Row[]> {
  const group = 'cache';
  const rows: Row[] = [];
  try {
    const { measureCache } = (await import(MODULE)) as { measureCache: MeasureCache };
    const external = await measureCache();
    const floor = external.find((row) => row.figure.startsWith('floor'));
    for (const row of external) {
      const converted = fromExternal(group, row, 7);
      if (converted.missNote === undefined) {
        converted.missNote =
          'A disk hit reads one entry file (header line, then the body), verifies its sha256 (so a torn or corrupt ' +
          'entry is a miss, never served) and parses the JSON; the verification is the cost over a plain read. Closing it ' +
          'without giving up the integrity check means storing large answers compressed (fewer bytes to hash and read).' +
          (floor && floor !== row && floor.unit === row.unit
            ? ` For scale: "${floor.figure}" alone takes ${floor.median} ${floor.unit} median on this machine, so the tier adds ` +
              `${(row.median - floor.median).toFixed(1)} ${row.unit} over the floor.`
            : '');
      }
      rows.push(converted);
    }
  } catch (error) {
    rows.push(missingRow(group, 'cache tiers (bench/cache.ts)', 'ms', `not measured (module missing or failed): ${errorText(error)}`));
  }
  rows.push(...(await researchSession(options)));
  return rows;
}

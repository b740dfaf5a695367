// check_prospects against a loopback web answering every request (robots.txt, page, contact page)
// in a fixed 100 ms, through the service with the cache off and a fresh fetcher per run (robots.txt
// read again each time). 20 pages on 20 sites (a run's prospects are different sites) against one
// page; and 20 pages on one site, where the per-host bound (4) makes waves on purpose.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorText, type GroupOptions, missingRow, type Row, summarize, tempDir } from './shared.js';

const DELAY_MS = 100;
const PAGES = 20;
const COMPETITOR = 'rival-one.com';
const ONE = 'check_prospects: one page (robots + page + contact page)';
const TWENTY = 'check_prospects: 20 pages on 20 sites';
const ONE_SITE = 'check_prospects: 20 pages on one site (per-host bound 4)';

export async function measureCheck(options: GroupOptions): Promise<Row[]> {
  const group = 'check';
  const missing = (why: string) => [missingRow(group, ONE, 'ms', why), missingRow(group, TWENTY, 'ms', why), missingRow(group, ONE_SITE, 'ms', why)];
  let modules: [typeof import('../../src/config.js'), typeof import('../../src/runtime.js'), typeof import('../../src/http/web.js'), typeof import('../../src/log.js')];
  try {
    modules = await Promise.all([import('../../src/config.js'), import('../../src/runtime.js'), import('../../src/http/web.js'), import('../../src/log.js')]);
  } catch (error) {
    return missing(`not measured (module missing): ${errorText(error)}`);
  }
  const [{ loadConfig }, { createRuntime }, { createWebFetcher }, { createLogger }] = modules;
  let inFlight = 0;
  let peak = 0;
  const server = createServer((request, response) => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    setTimeout(() => {
      inFlight -= 1;
      if (request.url === '/robots.txt') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('User-agent: *\nDisallow: /private/\n');
        return;
      }
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(
        request.url?.startsWith('/contact')
          ? '<html><body><a href="mailto:editor@example.org">Write to us</a></body></html>'
          : `<html><head><title>Resources</title></head><body><p>Trusted: <a href="https://${COMPETITOR}/">Rival One</a></p><a href="/contact">Contact</a></body></html>`,
      );
    }, DELAY_MS);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const cache = tempDir('check');
  const logger = createLogger({ level: 'silent', secrets: [] });
  const resolve = async () => [{ address: '127.0.0.1', family: 4 }];

  const timeOf = async (urls: string[]) => {
    const config = loadConfig({ BACKLINK_GAP_CACHE: 'off', BACKLINK_GAP_CACHE_DIR: cache.path, BACKLINK_GAP_LOG_LEVEL: 'silent', BACKLINK_GAP_FETCH_ALLOW_LOOPBACK: '1' });
    const runtime = createRuntime(config, { logger, web: createWebFetcher({ allowLoopback: true, logger, resolve }) });
    try {
      const started = performance.now();
      const outcome = await runtime.service.check({ urls, competitor_domains: [COMPETITOR] });
      const elapsed = performance.now() - started;
      const live = outcome.prospects.flatMap((prospect) => prospect.pages).filter((page) => page.links?.[0]?.live).length;
      if (live !== urls.length) throw new Error(`${live} of ${urls.length} pages found the link`);
      return elapsed;
    } finally {
      await runtime.close();
    }
  };
  const onSites = (count: number) => Array.from({ length: count }, (_, index) => `http://site${index + 1}.bench.example:${port}/resources`);
  const onOneSite = Array.from({ length: PAGES }, (_, index) => `http://one.bench.example:${port}/resources/${index + 1}`);

  try {
    await timeOf(onSites(1));
    await timeOf(onSites(PAGES));
    const ones: number[] = [];
    const twenties: number[] = [];
    const oneSite: number[] = [];
    peak = 0;
    for (let run = 0; run < options.runs; run++) {
      ones.push(await timeOf(onSites(1)));
      twenties.push(await timeOf(onSites(PAGES)));
    }
    const peakAcrossSites = peak;
    for (let run = 0; run < Math.max(3, Math.ceil(options.runs / 2)); run++) oneSite.push(await timeOf(onOneSite));
    const oneMeasure = summarize(ones);
    return [
      { group, figure: ONE, unit: 'ms', ours: oneMeasure, note: `every answer takes ${DELAY_MS} ms: robots.txt, the page, its contact page (for a mailto)` },
      {
        group,
        figure: TWENTY,
        unit: 'ms',
        ours: summarize(twenties),
        peer: { ...oneMeasure, label: 'one page' },
        ratioTarget: 2,
        note: `peer column = one page through the same service; at most ${peakAcrossSites} requests were in flight at the site`,
        missNote:
          'Pages of different sites run together up to the overall bound (24 in src/http/web.ts); past it they wait in waves of ' +
          `${DELAY_MS} ms. Each page needs robots.txt, the page and its contact page one after the other, so one page is 3 × ${DELAY_MS} ms.`,
      },
      {
        group,
        figure: ONE_SITE,
        unit: 'ms',
        ours: summarize(oneSite),
        peer: { ...oneMeasure, label: 'one page' },
        note: `info: at most 4 requests at a time go to one host (politeness), so 20 pages of one site take ~${Math.ceil(PAGES / 4)} waves of ${DELAY_MS} ms`,
      },
    ];
  } catch (error) {
    return missing(errorText(error));
  } finally {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
    cache.remove();
  }
}

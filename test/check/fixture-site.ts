// A fixture web on 127.0.0.1: several sites told apart by Host (a fake DNS maps their names to
// loopback), with the pages check_prospects must handle. It counts connections, so a test can prove
// that a refused target was never connected to.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import type { Resolver } from '../../src/http/web.js';

export const COMPETITOR_A = 'austinplumbingco.com';
export const COMPETITOR_B = 'capitalcityplumbers.com';
export const COMPETITOR_C = 'lonestarrooter.com';
export const YOU = 'bluebonnetplumbing.com';
/** The names the fixture answers for; all resolve to 127.0.0.1 through `fixtureResolver`. */
export const HOSTS = { chamber: 'chamber.test', blog: 'blog.test', directory: 'directory.test', news: 'news.test' } as const;

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><script>var x = '<a href="https://${COMPETITOR_B}/">';</script></head><body>${body}</body></html>`;

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const html = (body: string, status = 200): Handler => (_request, response) => {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  response.end(body);
};
const redirect = (location: string, status = 301): Handler => (_request, response) => {
  response.writeHead(status, { location });
  response.end();
};

/** Slow requests the client gave up on (closed before the answer). */
const abandoned = { count: 0 };

function routes(port: number): Record<string, Record<string, Handler>> {
  return {
    [HOSTS.chamber]: {
      '/robots.txt': (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('User-agent: *\nDisallow: /private/\n');
      },
      '/': html(page('Austin Chamber', '<a href="/advertise">Advertise with us</a>')),
      '/members/plumbing': html(
        page(
          'Member directory: Plumbing – Austin Chamber',
          `<ul><li>Members in good standing: <a href="https://www.${COMPETITOR_A}/services?ref=chamber#top">Austin Plumbing Co</a> serving Travis County since 1998.</li>` +
            `<li><a href="HTTPS://${COMPETITOR_B.toUpperCase()}/" rel="sponsored nofollow">Capital City Plumbers</a> (featured member)</li></ul>` +
            '<p><a href="/join">Become a member</a> · <a href="/contact-us">Contact us</a></p>',
        ),
      ),
      '/contact-us': html(page('Contact the Chamber', '<p>Write to <a href="mailto:Members@Chamber.test?subject=Listing">members@chamber.test</a></p>')),
      '/old-members': redirect('/members/plumbing'),
      '/private/list': html(page('Private', `<a href="https://${COMPETITOR_A}/">A</a>`)),
    },
    [HOSTS.blog]: {
      '/robots.txt': (_request, response) => {
        response.writeHead(404);
        response.end();
      },
      '/best-plumbers-2025': html(page('Best plumbers in Austin (2025)', `<p>Our picks this year.</p><p>Still great: nobody. The old list was removed.</p><a href="https://example.org/">Example</a>`)),
      '/thanks': html(
        page(
          'Thanks to our sponsors',
          `<p>This page links to <a href="https://${COMPETITOR_A}/">Austin Plumbing</a> and to <a href="https://www.${YOU}/">Bluebonnet Plumbing</a> already.</p>` +
            `<p><a href="/go/lonestar">Lone Star Rooter</a> via our outbound redirect.</p><p><a href="/write-for-us">Write for us</a></p>`,
        ),
      ),
      '/go/lonestar': redirect(`https://www.${COMPETITOR_C}/?utm_source=blog`, 302),
      '/huge': (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html' });
        const filler = `<p>${'lorem ipsum dolor sit amet '.repeat(40)}</p>`;
        response.write(`<html><head><title>A very long page</title></head><body><a href="https://${COMPETITOR_B}/">early link</a>`);
        // ~3 MB, the link to competitor A only after the 2 MB cap.
        for (let written = 0; written < 3 * 1024 * 1024; written += filler.length) response.write(filler);
        response.end(`<a href="https://${COMPETITOR_A}/">late link</a></body></html>`);
      },
      '/feed.json': (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ links: [`https://${COMPETITOR_A}/`] }));
      },
      '/slow': (_request, response) => {
        const timer = setTimeout(() => html(page('Slow', `<a href="https://${COMPETITOR_A}/">A</a>`))(_request, response), 20_000);
        response.on('close', () => {
          clearTimeout(timer);
          if (!response.writableEnded) abandoned.count += 1;
        });
      },
      '/to-private': redirect('http://10.0.0.7/admin', 302),
      '/to-metadata': redirect('http://169.254.169.254/latest/meta-data/', 302),
      '/to-loopback-name': redirect(`http://localhost:${port}/`, 302),
    },
    [HOSTS.directory]: {
      '/': html(page('Austin Business Directory', '<a href="/submit-listing">Add your business</a> · <a href="/contact">Contact</a>')),
      '/contact': html(page('Contact', '<a href="mailto:hello@directory.test">hello@directory.test</a>')),
    },
  };
}

export interface FixtureSite {
  port: number;
  /** TCP connections accepted so far. */
  connections: () => number;
  /** Slow-page requests the client closed before the answer came. */
  abandoned: () => number;
  /** Requests served so far, as "host path". */
  requests: string[];
  url: (host: string, path: string) => string;
  close: () => Promise<void>;
}

export async function startFixtureSite(): Promise<FixtureSite> {
  let connections = 0;
  const requests: string[] = [];
  let table: Record<string, Record<string, Handler>> = {};
  const server: Server = createServer((request, response) => {
    const host = (request.headers.host ?? '').replace(/:\d+$/, '');
    const path = (request.url ?? '/').split('?')[0]!;
    requests.push(`${host} ${path}`);
    const handler = table[host]?.[path];
    if (handler === undefined) {
      response.writeHead(404, { 'content-type': 'text/html' });
      response.end('<html><body>Not found</body></html>');
      return;
    }
    handler(request, response);
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  table = routes(port);
  return {
    port,
    connections: () => connections,
    abandoned: () => abandoned.count,
    requests,
    url: (host, path) => `http://${host}:${port}${path}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Fake DNS: the fixture's names → 127.0.0.1; anything else does not resolve (tests never reach the internet). */
export const fixtureResolver: Resolver = async (hostname) => {
  if (Object.values(HOSTS).includes(hostname as never) || hostname === 'localhost') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
};

/** For pages the fixture cannot be named with a port (a prospect's home page, https://site/): a
 *  transport that sends every origin without a port, https included, to the fixture over http. The
 *  fetcher's address checks still run before it. */
export function fixtureTransport(port: number): Dispatcher {
  const agent = new Agent({
    connect: {
      lookup: ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) =>
        options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4)) as never,
    },
  });
  return agent.compose((dispatch) => (options, handler) => {
    const origin = new URL(String(options.origin));
    const mapped = origin.protocol === 'https:' || origin.port === '' ? `http://${origin.hostname}:${port}` : origin.origin;
    return dispatch({ ...options, origin: mapped }, handler);
  });
}

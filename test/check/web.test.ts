// The public-web fetcher's safety: which addresses it refuses, that it refuses them before any
// connection (first URL and every redirect), and that the connection is pinned to the checked address.

import { MockAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedAddress } from '../../src/http/address.js';
import { createWebFetcher, type Resolver, WEB_USER_AGENT } from '../../src/http/web.js';
import { createLogger } from '../../src/log.js';
import { type FixtureSite, fixtureResolver, HOSTS, startFixtureSite } from './fixture-site.js';

const logger = createLogger({ level: 'silent', secrets: [] });
let site: FixtureSite;

beforeAll(async () => {
  site = await startFixtureSite();
});
afterAll(async () => site.close());

const soon = () => ({ deadline: Date.now() + 5_000 });

describe('address policy', () => {
  const strict = { allowLoopback: false };
  it.each([
    ['127.0.0.1', /loopback/],
    ['127.8.9.10', /loopback/],
    ['::1', /loopback/],
    ['10.0.0.1', /private/],
    ['172.16.5.4', /private/],
    ['192.168.1.1', /private/],
    ['169.254.169.254', /link-local .*metadata/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.100.100.200', /carrier-grade NAT/],
    ['0.0.0.0', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['192.0.2.10', /reserved/],
    ['240.0.0.1', /reserved/],
    ['fe80::1', /link-local/],
    ['fd00:ec2::254', /unique local/],
    ['ff02::1', /multicast/],
    ['::', /unspecified/],
    ['::ffff:127.0.0.1', /loopback .*inside the IPv6/],
    ['::ffff:10.0.0.1', /private .*inside the IPv6/],
    ['::ffff:169.254.169.254', /link-local .*inside the IPv6/],
    ['::127.0.0.1', /loopback .*inside the IPv6/],
    ['64:ff9b::10.0.0.1', /private .*inside the IPv6/],
    ['2002:a00:1::', /private .*inside the IPv6/],
    ['2001:db8::1', /reserved/],
    ['[::1]', /loopback/],
  ])('refuses %s', (address, why) => {
    expect(refusedAddress(address, strict)).toMatch(why);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:93.184.216.34', '64:ff9b::808:808'])('allows the public address %s', (address) => {
    expect(refusedAddress(address, strict)).toBeUndefined();
  });

  it('allows loopback, and only loopback, with the test setting', () => {
    const tests = { allowLoopback: true };
    expect(refusedAddress('127.0.0.1', tests)).toBeUndefined();
    expect(refusedAddress('::1', tests)).toBeUndefined();
    expect(refusedAddress('::ffff:127.0.0.1', tests)).toBeUndefined();
    for (const address of ['10.0.0.1', '169.254.169.254', '192.168.0.1', 'fd00::1', '::ffff:10.0.0.1']) expect(refusedAddress(address, tests)).toBeDefined();
  });
});

describe('the fetcher without BACKLINK_GAP_FETCH_ALLOW_LOOPBACK', () => {
  it('refuses loopback and private targets, by IP or by a name resolving to one, before any connection', async () => {
    const names: Record<string, string[]> = { 'rebind.example': ['93.184.216.34', '127.0.0.1'], 'intranet.example': ['10.0.0.8'], 'meta.example': ['fd00:ec2::254'] };
    const resolve: Resolver = async (hostname) => (names[hostname] ?? ['127.0.0.1']).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    const web = createWebFetcher({ allowLoopback: false, logger, resolve });
    const before = site.connections();
    const targets = [
      `http://127.0.0.1:${site.port}/`,
      `http://[::1]:${site.port}/`,
      `http://[::ffff:127.0.0.1]:${site.port}/`,
      `http://0x7f.1:${site.port}/`,
      `http://${HOSTS.chamber}:${site.port}/members/plumbing`,
      `http://rebind.example:${site.port}/`,
      'http://intranet.example/',
      'http://meta.example/',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/',
    ];
    for (const target of targets) {
      const outcome = await web.fetch(target, soon());
      expect(outcome, target).toMatchObject({ ok: false, reason: 'refused_address' });
    }
    expect(site.connections()).toBe(before);
    await web.close();
  });

  it('refuses a redirect from a public site to loopback, private or metadata addresses before connecting to them', async () => {
    // The MockAgent stands in for a public site: public.example resolves to a public address.
    const agent = new MockAgent();
    agent.disableNetConnect();
    const origin = agent.get('http://public.example');
    origin.intercept({ path: '/robots.txt' }).reply(404, '').persist();
    origin.intercept({ path: '/to-loopback' }).reply(302, '', { headers: { location: `http://127.0.0.1:${site.port}/members/plumbing` } });
    origin.intercept({ path: '/to-name' }).reply(301, '', { headers: { location: `http://localhost:${site.port}/` } });
    origin.intercept({ path: '/to-metadata' }).reply(307, '', { headers: { location: 'http://169.254.169.254/latest/meta-data/' } });
    origin.intercept({ path: '/to-file' }).reply(302, '', { headers: { location: 'file:///etc/passwd' } });
    origin.intercept({ path: '/to-credentials' }).reply(302, '', { headers: { location: 'http://user:secret@public.example/' } });
    const resolve: Resolver = async (hostname) => [{ address: hostname === 'public.example' ? '93.184.216.34' : '127.0.0.1', family: 4 }];
    const web = createWebFetcher({ allowLoopback: false, logger, resolve, dispatcher: agent });
    const before = site.connections();
    for (const path of ['/to-loopback', '/to-name', '/to-metadata']) {
      const outcome = await web.fetch(`http://public.example${path}`, soon());
      expect(outcome, path).toMatchObject({ ok: false, reason: 'refused_address' });
      expect(outcome.ok ? '' : outcome.message).toMatch(/^redirected to .*only public addresses are fetched$/);
    }
    expect(await web.fetch('http://public.example/to-file', soon())).toMatchObject({ ok: false, reason: 'invalid_url' });
    expect(await web.fetch('http://public.example/to-credentials', soon())).toMatchObject({ ok: false, reason: 'invalid_url' });
    expect(site.connections()).toBe(before);
    await agent.close();
  });
});

describe('the fetcher with loopback allowed (the fixture site)', () => {
  it('connects to the address it checked: a name that resolves elsewhere afterwards (DNS rebinding) is not looked up again', async () => {
    let lookups = 0;
    const rebinding: Resolver = async () => {
      lookups += 1;
      return [{ address: lookups === 1 ? '127.0.0.1' : '10.0.0.9', family: 4 }];
    };
    const web = createWebFetcher({ allowLoopback: true, logger, resolve: rebinding });
    const outcome = await web.fetch(site.url(HOSTS.chamber, '/members/plumbing'), soon());
    expect(outcome).toMatchObject({ ok: true, status: 200 });
    expect(lookups).toBe(1);
    await web.close();
  });

  it('still refuses private targets and redirects to them', async () => {
    const web = createWebFetcher({ allowLoopback: true, logger, resolve: fixtureResolver });
    expect(await web.fetch('http://10.0.0.1/', soon())).toMatchObject({ ok: false, reason: 'refused_address' });
    expect(await web.fetch(site.url(HOSTS.blog, '/to-private'), soon())).toMatchObject({ ok: false, reason: 'refused_address', final_url: 'http://10.0.0.7/admin' });
    expect(await web.fetch(site.url(HOSTS.blog, '/to-metadata'), soon())).toMatchObject({ ok: false, reason: 'refused_address' });
    await web.close();
  });

  it('stops after 5 redirects and names itself with the project URL', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const origin = agent.get('http://loop.example');
    origin.intercept({ path: '/robots.txt' }).reply(404, '');
    const agents: string[] = [];
    origin
      .intercept({ path: (path) => path.startsWith('/hop') })
      .reply((request) => {
        agents.push(String((request.headers as Record<string, string>)['user-agent']));
        const next = Number(request.path.slice(4)) + 1;
        return { statusCode: 302, data: '', responseOptions: { headers: { location: `/hop${next}` } } };
      })
      .persist();
    const web = createWebFetcher({ allowLoopback: false, logger, resolve: async () => [{ address: '93.184.216.34', family: 4 }], dispatcher: agent });
    const outcome = await web.fetch('http://loop.example/hop0', soon());
    expect(outcome).toMatchObject({ ok: false, reason: 'too_many_redirects' });
    expect(outcome.redirects).toHaveLength(5);
    expect(agents[0]).toBe(WEB_USER_AGENT);
    expect(WEB_USER_AGENT).toMatch(/^backlink-gap-mcp\/\S+ \(\+https:\/\//);
    await agent.close();
  });

  it('gives up a slow page at its deadline, and stops at once when cancelled', async () => {
    const web = createWebFetcher({ allowLoopback: true, logger, resolve: fixtureResolver });
    expect(await web.fetch(site.url(HOSTS.blog, '/slow'), { deadline: Date.now() + 300 })).toMatchObject({ ok: false, reason: 'timeout' });
    const controller = new AbortController();
    const pending = web.fetch(site.url(HOSTS.blog, '/slow'), { deadline: Date.now() + 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(new DOMException('cancelled', 'AbortError')), 100);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await web.close();
  });
});

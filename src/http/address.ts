// Which addresses the public-web fetcher may connect to: public unicast only, decided on the
// resolved IP (never the host name), including IPv4 forms embedded in IPv6 addresses.

import ipaddr from 'ipaddr.js';

export interface AddressPolicy {
  /** BACKLINK_GAP_FETCH_ALLOW_LOOPBACK=1: loopback (127.0.0.0/8, ::1) is allowed too, nothing else. */
  allowLoopback: boolean;
}

/** Why an address is refused, in words for the model; undefined when it may be reached. */
export function refusedAddress(address: string, policy: AddressPolicy): string | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  } catch {
    return 'not an IP address';
  }
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    const embedded = embeddedIpv4(v6);
    if (embedded !== undefined) {
      const inner = refusedIpv4(embedded, policy);
      return inner === undefined ? undefined : `${inner} (inside the IPv6 address)`;
    }
    return refusedIpv6(v6, policy);
  }
  return refusedIpv4(parsed as ipaddr.IPv4, policy);
}

function refusedIpv4(address: ipaddr.IPv4, policy: AddressPolicy): string | undefined {
  const range = address.range();
  if (range === 'unicast') return undefined;
  if (range === 'loopback' && policy.allowLoopback) return undefined;
  return RANGE_WORDS[range] ?? `a ${range} address`;
}

function refusedIpv6(address: ipaddr.IPv6, policy: AddressPolicy): string | undefined {
  const range = address.range();
  if (range === 'loopback' && policy.allowLoopback) return undefined;
  if (range !== 'unicast') return RANGE_WORDS[range] ?? `a ${range} address`;
  // Only global unicast (2000::/3) is the public Internet; the rest of the space is unassigned.
  if (!address.match(GLOBAL_UNICAST)) return 'an unassigned IPv6 address';
  return undefined;
}

const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3') as [ipaddr.IPv6, number];
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96') as [ipaddr.IPv6, number];

/** The IPv4 address an IPv6 address carries (mapped, compatible, translated, NAT64, 6to4, Teredo). */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const range = address.range();
  const parts = address.parts;
  const fromWords = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') return fromWords(parts[6]!, parts[7]!);
  if (range === '6to4') return fromWords(parts[1]!, parts[2]!);
  // Teredo carries the client's address inverted in the last 32 bits.
  if (range === 'teredo') return fromWords(~parts[6]! & 0xffff, ~parts[7]! & 0xffff);
  if (range !== 'unspecified' && range !== 'loopback' && address.match(IPV4_COMPATIBLE)) return fromWords(parts[6]!, parts[7]!);
  return undefined;
}

const RANGE_WORDS: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (this includes cloud metadata services)',
  loopback: 'a loopback address (this machine)',
  carrierGradeNat: 'a carrier-grade NAT address',
  private: 'a private network address',
  reserved: 'a reserved address',
  uniqueLocal: 'a private (unique local) IPv6 address',
  deprecatedSiteLocal: 'a site-local IPv6 address',
  discard: 'a discard-only IPv6 address',
  benchmarking: 'a benchmarking address',
};

/** The host of a URL as an IP literal (brackets removed), or undefined for a name. */
export function ipLiteralOf(hostname: string): string | undefined {
  const bare = hostname.replace(/^\[|\]$/g, '');
  return ipaddr.isValid(bare) ? bare : undefined;
}

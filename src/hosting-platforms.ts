// Hosting platforms whose subdomains are anyone's own site (joe.wordpress.com is Joe's blog, not
// WordPress's) but which the public suffix list's private section does not carry. Sites under a
// private suffix (blogspot.com, github.io, netlify.app, wixsite.com…) are separate already; these
// are made so in hosts.ts, the same way, for every provider and dataset.

/** Registrable domains whose every subdomain is a site of its own. */
export const HOSTING_PLATFORM_DOMAINS: readonly string[] = [
  // blogs and newsletters
  'wordpress.com',
  'wpcomstaging.com',
  'home.blog',
  'tumblr.com',
  'medium.com',
  'substack.com',
  'beehiiv.com',
  'ghost.io',
  'micro.blog',
  'typepad.com',
  'over-blog.com',
  'livejournal.com',
  'edublogs.org',
  'tistory.com',
  // site builders
  'weebly.com',
  'weebly.co.uk',
  'squarespace.com',
  'godaddysites.com',
  'webnode.com',
  'jimdofree.com',
  'jimdosite.com',
  'site123.me',
  'mystrikingly.com',
  'yola.com',
  'mozello.com',
  'webs.com',
  'ning.com',
  'ucoz.ru',
  'narod.ru',
  // old free hosts and creator pages
  'neocities.org',
  'tripod.com',
  'angelfire.com',
  'bandcamp.com',
  'itch.io',
];

/** Registrable labels that are a platform under any suffix: blogspot.co.uk, blogspot.de, … (the
 *  country variants Blogger used to serve, no longer on the suffix list). */
export const HOSTING_PLATFORM_LABELS: readonly string[] = ['blogspot'];

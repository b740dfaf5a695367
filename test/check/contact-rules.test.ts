// Contact-route rules against real-world-shaped links: the kind a same-site link is read as (or none).

import { describe, expect, it } from 'vitest';
import { extractPage } from '../../src/analysis/page-links.js';

const CASES: Array<[path: string, anchor: string, kind: string | undefined]> = [
  ['/contact', 'Contact', 'contact'],
  ['/contact-us/', 'Get in touch', 'contact'],
  ['/contactus.php', 'Reach us', 'contact'],
  ['/about/contact', 'Our office', 'contact'],
  ['/en/kontakt', 'Kontakt', 'contact'],
  ['/write-for-us', 'Contribute', 'write_for_us'],
  ['/guest-posts/', 'Guest posting', 'write_for_us'],
  ['/submission-guidelines', 'Guidelines', 'write_for_us'],
  ['/become-a-contributor', 'Join our writers', 'write_for_us'],
  ['/blog/page/2', 'Write for us', 'write_for_us'],
  ['/advertise', 'Advertise', 'advertise'],
  ['/advertise-with-us.html', 'Media', 'advertise'],
  ['/media-kit', 'Media kit', 'advertise'],
  ['/submit-listing', 'List your business', 'submit_listing'],
  ['/add-your-business', 'Add', 'submit_listing'],
  ['/claim-listing', 'Claim', 'submit_listing'],
  ['/get-listed', 'Get listed', 'submit_listing'],
  ['/directory/new', 'Add your business', 'submit_listing'],
  ['/join', 'Join', 'membership'],
  ['/membership/', 'Membership', 'membership'],
  ['/become-a-member', 'Members', 'membership'],
  ['/member-application', 'Apply', 'membership'],
  ['/events/gala', 'Become a sponsor', 'sponsorship'],
  ['/sponsorship-opportunities', 'Sponsors', 'sponsorship'],
  ['/sponsors', 'Our sponsors', 'sponsorship'],
  ['/partner-with-us', 'Partner', 'sponsorship'],
  ['/members/plumbing', 'Plumbing members', undefined],
  ['/blog/how-to-contact-a-plumber', 'How to contact a plumber', undefined],
  ['/contractors', 'Licensed contractors', undefined],
  ['/about', 'About us', undefined],
  ['/privacy', 'Privacy policy', undefined],
];

describe('contact rules', () => {
  it.each(CASES)('%s "%s" → %s', (path, anchor, kind) => {
    const page = extractPage(`<a href="${path}">${anchor}</a>`, 'https://www.example.org/page');
    expect(page.contact_pages[0]?.kind).toBe(kind);
  });

  it('ignores contact pages of other sites', () => {
    expect(extractPage('<a href="https://elsewhere.com/contact">Contact</a>', 'https://www.example.org/').contact_pages).toEqual([]);
  });
});

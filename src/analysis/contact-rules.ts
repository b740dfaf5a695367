// Rules (data) for the pages through which a site is asked for a link: a path or anchor words
// decide the kind. First matching rule wins, so the specific kinds come before plain "contact".

import type { ContactKind } from '../domain.js';

export const CONTACT_KINDS = ['write_for_us', 'submit_listing', 'membership', 'sponsorship', 'advertise', 'contact'] as const satisfies readonly ContactKind[];
export type { ContactKind };

export interface ContactRule {
  kind: ContactKind;
  /** Tested on the lowercase, decoded path of a same-site link. */
  path: RegExp;
  /** Tested on the lowercase anchor text. */
  anchor: RegExp;
}

export const CONTACT_RULES: readonly ContactRule[] = [
  {
    kind: 'write_for_us',
    path: /\/(write-for-us|write-for-me|guest-post(s|ing)?|contribute|contributors?|submit-(an-)?article|submission-guidelines|become-a-contributor)(\/|\.html?|$)/,
    anchor: /\b(write for us|guest post(s|ing)?|contribute|become a contributor|submit an article)\b/,
  },
  {
    kind: 'submit_listing',
    path: /\/(submit|add|suggest|claim)[-_]?(a[-_])?(your[-_])?(listing|site|business|link|url|resource)s?(\/|\.html?|$)|\/(add-listing|submit|get-listed)(\/|\.html?|$)/,
    anchor: /\b(submit|add|suggest|claim) (a |your )?(listing|site|business|link|url|resource)\b|\bget listed\b/,
  },
  {
    kind: 'membership',
    path: /\/(join|membership|become-a-member|member-application|join-us|join-now)(\/|\.html?|$)/,
    anchor: /\b(join (us|now|today|the chamber)|become a member|membership( application| benefits)?)\b/,
  },
  {
    kind: 'sponsorship',
    path: /\/(sponsor|sponsors|sponsorship|sponsorships|become-a-sponsor|partner-with-us)(-opportunities|-packages)?(\/|\.html?|$)/,
    anchor: /\b(become a sponsor|sponsorship( opportunities)?|sponsor us|partner with us)\b/,
  },
  {
    kind: 'advertise',
    path: /\/(advertise|advertising|advertise-with-us|media-kit|rate-card)(\/|\.html?|$)/,
    anchor: /\b(advertise( with us)?|advertising|media kit)\b/,
  },
  {
    kind: 'contact',
    path: /\/(contact|contact-us|contactus|get-in-touch|kontakt|about\/contact)(\/|\.html?|\.php|$)/,
    anchor: /^(contact( us)?|get in touch|kontakt)$/,
  },
];

// Writes a folder of vendor backlink exports as a user would download them, for the load benchmark:
// `files` exports of `rows` rows each, cycling Ahrefs (UTF-16 LE, tab, 30 columns), Semrush (UTF-8,
// comma) and Majestic (UTF-8 BOM, comma), one competitor per file, sources drawn with a power law so
// the same referring domains recur across competitors (and some links across files).

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mulberry32 } from './random.js';

const AHREFS = 'Referring page title\tReferring page URL\tLanguage\tPlatform\tReferring page HTTP code\tDomain rating\tDomain traffic\tReferring domains\tLinked domains\tExternal links\tPage traffic\tKeywords\tTarget URL\tLeft context\tAnchor\tRight context\tType\tContent\tNofollow\tUGC\tSponsored\tRendered\tRaw\tLost status\tDrop reason\tDiscovered status\tFirst seen\tLast seen\tLost\tLinks in group';
const SEMRUSH = 'Page ascore,Source title,Source url,Target url,Anchor,External links,Internal links,Nofollow,Sponsored,Ugc,Text,Frame,Form,Image,Sitewide,First seen,Last seen,New link,Lost link';
const MAJESTIC = 'SourceURL,ACRank,AnchorText,Date,FlagRedirect,FlagFrame,FlagNoFollow,FlagImages,FlagDeleted,FlagAltText,FlagMention,TargetURL,DomainID,FirstIndexedDate,LastSeenDate,DateLost,ReasonLost,LinkType,LinkSubType,TargetCitationFlow,TargetTrustFlow,TargetTopicalTrustFlow_Topic_0,TargetTopicalTrustFlow_Value_0,SourceCitationFlow,SourceTrustFlow,SourceTopicalTrustFlow_Topic_0,SourceTopicalTrustFlow_Value_0';

export interface GeneratedExports {
  folder: string;
  competitors: string[];
  rows: number;
}

export async function generateExports(folder: string, options: { files?: number; rows?: number; seed?: number } = {}): Promise<GeneratedExports> {
  const files = options.files ?? 20;
  const rows = options.rows ?? 50_000;
  const random = mulberry32(options.seed ?? 12);
  const domains = 200_000;
  await mkdir(folder, { recursive: true });
  const competitors: string[] = [];
  for (let file = 0; file < files; file++) {
    const competitor = `competitor${file}.com`;
    competitors.push(competitor);
    const vendor = file % 3;
    const lines: string[] = [vendor === 0 ? AHREFS : vendor === 1 ? SEMRUSH : MAJESTIC];
    for (let row = 0; row < rows; row++) {
      const domain = Math.floor(domains * random() ** 2.5);
      const source = `https://www.site${domain}.com/page-${Math.floor(random() * 40)}`;
      const target = `https://${competitor}/${row % 7 === 0 ? 'services' : ''}`;
      const authority = String(Math.min(100, Math.round(90 * (1 - domain / domains) ** 3)));
      const nofollow = random() < 0.3;
      const seen = `2026-${String(1 + Math.floor(random() * 11)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`;
      if (vendor === 0) {
        lines.push(
          [`Page ${row}`, source, 'en', 'Blogs', '200', authority, '1200', '300', '40', '12', '30', '4', target, 'Find ', `anchor ${row % 50}`, ' here', 'text', 'yes', String(nofollow), 'false', 'false', 'false', 'true', '', '', '', '2025-01-01', seen, '', '1'].join('\t'),
        );
      } else if (vendor === 1) {
        lines.push([authority, `"Title, ${row}"`, source, target, `anchor ${row % 50}`, '10', '20', String(nofollow), 'false', 'false', 'true', 'false', 'false', 'false', 'false', '2025-01-01', seen, 'false', 'false'].join(','));
      } else {
        lines.push([source, '3', `anchor ${row % 50}`, seen, '-', '-', nofollow ? '+' : '-', '-', '-', '-', '-', target, '1', '2025-01-01', seen, '', '', 'TextLink', '', '20', '15', 'Business', '10', authority, authority, 'Business', '30'].join(','));
      }
    }
    const text = `${lines.join('\n')}\n`;
    const name = `${competitor}-backlinks-2026-11-${String(1 + (file % 28)).padStart(2, '0')}.csv`;
    const bytes =
      vendor === 0
        ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
        : vendor === 1
          ? Buffer.from(text, 'utf8')
          : Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    await writeFile(join(folder, name), bytes);
  }
  return { folder, competitors, rows };
}

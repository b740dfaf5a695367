// The gap view (MCP App): its resource size, and the time from a result of 1,000 prospects × 5
// competitors arriving through the ext-apps host bridge to the first frame with the table drawn,
// in headless Chromium. Uses the browser tests' host page (test/app/harness.ts).

import { statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { launchBrowser, openHost, syntheticRun, VIEW_FILE } from '../../test/app/harness.js';
import { errorText, type GroupOptions, missingRow, type Row, single, summarize } from './shared.js';

export async function measureApp(options: GroupOptions): Promise<Row[]> {
  const rows: Row[] = [];
  try {
    const bytes = statSync(VIEW_FILE).size;
    rows.push({
      group: 'app',
      figure: 'gap view resource (one HTML file, script and style inline)',
      unit: 'KB',
      ours: single(bytes / 1024),
      target: 150,
      note: `${(gzipSync(readFileSync(VIEW_FILE)).length / 1024).toFixed(1)} KB gzipped`,
    });
  } catch (error) {
    rows.push(missingRow('app', 'gap view resource', 'KB', `not built: ${errorText(error)}`, 150));
    return rows;
  }
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  try {
    browser = await launchBrowser();
    const run = syntheticRun(1000);
    const result = {
      content: [{ type: 'text', text: `${run.prospects.length} prospects` }],
      structuredContent: { ...run, data: run.prospects, meta: { page: 1, per_page: 1000, total: 1000, total_pages: 1 } },
    };
    const render: number[] = [];
    const delivery: number[] = [];
    for (let index = 0; index < options.runs; index++) {
      const host = await openHost(browser, async () => {
        throw new Error('the whole run is in the result: no call expected');
      });
      const sentAt = await host.page.evaluate(() => performance.timeOrigin + performance.now());
      await host.sendToolResult(result);
      await host.view.waitForFunction(() => performance.getEntriesByName('gap-view-rendered').length > 0, undefined, { timeout: 10_000 });
      const [arrived, rendered] = await host.view.evaluate(() =>
        ['gap-view-result', 'gap-view-rendered'].map((name) => performance.timeOrigin + performance.getEntriesByName(name)[0]!.startTime),
      );
      render.push(rendered! - arrived!);
      delivery.push(arrived! - sentAt);
      await host.page.close();
    }
    rows.push({
      group: 'app',
      figure: 'first render of 1,000 prospects × 5 competitors after the result arrives in the view (to the next frame)',
      unit: 'ms',
      ours: summarize(render),
      target: 300,
    });
    rows.push({
      group: 'app',
      figure: 'host-side delivery of that result (test host: ext-apps AppBridge validation + postMessage)',
      unit: 'ms',
      ours: summarize(delivery),
      note: "the host's share, not the view's: a real host's own figure",
    });
  } catch (error) {
    rows.push(missingRow('app', 'first render of 1,000 prospects × 5 competitors', 'ms', `Chromium not available: ${errorText(error)}`, 300));
  } finally {
    await browser?.close();
  }
  return rows;
}

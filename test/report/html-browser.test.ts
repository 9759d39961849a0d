// -o html in a real headless Chromium (Debian's, driven by playwright-core): the
// status filters work, hostile text stays text, nothing is fetched, and a
// screenshot is taken. Skips when chromium is not installed.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { format } from '../../src/report/html.js';
import { result } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';

t.test('the report page in headless Chromium', { skip: existsSync(CHROMIUM) ? false : `chromium not installed at ${CHROMIUM} (scripts/ensure-test-packages.mjs installs it when root)` }, async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-html-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const page = path.join(dir, 'report.html');
  await writeFile(page, format(result));

  const { chromium } = await import('playwright-core');
  // A new empty profile (playwright takes it as the persistent context's directory).
  const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.teardown(() => context.close());
  const tab = context.pages()[0] ?? (await context.newPage());
  const requests: string[] = [];
  const errors: string[] = [];
  tab.on('request', (r) => requests.push(r.url()));
  tab.on('pageerror', (e) => errors.push(e.message));
  tab.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await tab.goto(pathToFileURL(page).href);

  const visible = () => tab.locator('article.image:visible').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
  t.same(await visible(), ['fail', 'error', 'error', 'warn', 'unmatched', 'skip', 'pass'], 'all cards shown at first');
  t.equal(await tab.locator('#shown').textContent(), 'Showing 7 of 7 images');

  await tab.getByRole('checkbox').and(tab.locator('[value=pass]')).uncheck();
  t.same(await visible(), ['fail', 'error', 'error', 'warn', 'unmatched', 'skip'], 'unchecking pass hides the passing card');

  await tab.getByRole('button', { name: 'Problems only' }).click();
  t.same(await visible(), ['fail', 'error', 'error', 'warn', 'unmatched'], 'problems only');
  t.equal(await tab.locator('#shown').textContent(), 'Showing 5 of 7 images');

  await tab.locator('input[value=error]').uncheck();
  await tab.locator('input[value=warn]').uncheck();
  t.same(await visible(), ['fail', 'unmatched']);

  await tab.getByRole('button', { name: 'All' }).click();
  t.equal((await visible()).length, 7, 'All shows everything again');

  // Hostile text rendered as text: no element or dialog came from the data.
  t.equal(await tab.locator('article script, article img').count(), 0);
  t.match(await tab.locator('article.image').filter({ hasText: 'bad image' }).locator('code.ref').textContent(), 'bad image|<script>alert(1)</script>');
  t.match(await tab.locator('article.image.fail').textContent(), /signature does not match/, 'the explanation is on the card');

  const shot = path.join(dir, 'report.png');
  await tab.screenshot({ path: shot, fullPage: true });
  t.ok((await stat(shot)).size > 10_000, 'screenshot written');
  if (process.env.KEEP_SCREENSHOT) await writeFile(process.env.KEEP_SCREENSHOT, await tab.screenshot({ fullPage: true }));

  t.same(errors, [], 'no script error, no dialog');
  t.same(requests.filter((u) => !u.startsWith('file:')), [], 'nothing fetched from the network');
});

import t from 'tap';
import { esc, format } from '../../src/report/html.js';
import { golden, result } from './fixture.js';

t.test('golden: -o html of the every-status result', async (t) => {
  const out = format(result);
  t.equal(out, await golden('report.html', out));
});

t.test('self-contained: no external resource, a CSP that forbids the network', async (t) => {
  const out = format(result);
  t.match(out, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">/);
  t.notMatch(out, /<[a-z][^>]*\s(?:src|href)=/i, 'no src or href attribute on any element');
  t.notMatch(out, /@import|url\(/, 'no CSS fetches');
});

t.test('one card per image, problems first, each with its explanation and uses', async (t) => {
  const out = format(result);
  const cards = [...out.matchAll(/<article class="image (\w+)" data-status="(\w+)"/g)].map((m) => m[2]);
  t.same(cards, ['fail', 'error', 'error', 'warn', 'unmatched', 'skip', 'pass']);
  t.match(out, /no signature verified with attestors\[0\]\.entries\[0\]\.keys: signature does not match/);
  t.match(out, /<code>apps\/web-canary\.yaml:18<\/code> Deployment prod\/web-canary/);
  t.match(out, /blocks the sync/);
});

t.test('everything from the result is escaped', async (t) => {
  const out = format(result);
  const body = out.slice(out.indexOf('<body>'), out.indexOf('<script>'));
  t.notMatch(body, /<script|<img/i, 'no element from the data');
  t.match(body, /bad image\|&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  t.match(body, /&lt;img src=x onerror=alert\(2\)&gt;/);
  t.equal(out.match(/<script>/g)?.length, 1, 'only the page script');
  t.equal(esc(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
});

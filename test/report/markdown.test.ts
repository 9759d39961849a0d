import t from 'tap';
import { marked } from 'marked';
import { code, escape, format } from '../../src/report/markdown.js';
import { golden, result } from './fixture.js';
import { summarize, type ImageResult } from '../../src/engine/result.js';

/** Rendered with a real GFM renderer: the tables and their cells as a browser would see them. */
function tables(md: string): string[][][] {
  const html = marked.parse(md, { gfm: true, async: false });
  return [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((m) =>
    [...m[1]!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]!)),
  );
}

t.test('golden: -o markdown of the every-status result', async (t) => {
  const out = format(result);
  t.equal(out, await golden('report.md', out));
});

t.test('renders as GFM tables: problems, then passes folded, 6 columns on every row', async (t) => {
  const out = format(result);
  const [problems, rest] = tables(out);
  t.ok(problems && rest, 'two tables');
  t.equal(problems!.length, 1 + 6, 'header + fail, 2×error, invalid image, warn, unmatched');
  t.equal(rest!.length, 1 + 2, 'header + pass, skip');
  for (const row of [...problems!, ...rest!]) t.equal(row.length, 6, 'no cell split by a | in the data');
  t.same(problems!.map((r) => r[0]), ['Status', '❌ fail', '❗ error', '❗ error', '❗ error', '⚠️ warn', '➖ unmatched']);
  t.match(out, /^### ❌ kubectl verify-images: 7 images/);
});

t.test('hostile text stays text', async (t) => {
  const html = marked.parse(format(result), { gfm: true, async: false });
  t.notMatch(html, /<script>/, 'no script element');
  t.notMatch(html, /<img /, 'no img element');
  t.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  const [problems] = tables(format(result));
  const bad = problems!.find((r) => r[1]!.includes('bad image'))!;
  t.match(bad[1], /<code>bad image\|&lt;script&gt;/, 'the | inside the code span is kept as text');
  t.match(bad[4], /a,b<br>second line/, 'a newline in a reason is a line break in the cell');
});

t.test('escape helpers', async (t) => {
  t.equal(escape('a|b *c* <d>'), 'a\\|b \\*c\\* &lt;d&gt;');
  t.equal(code('has `tick`'), '`` has `tick` ``');
  t.equal(code('`x'), '`` `x ``');
  const html = marked.parseInline(code('a `b` c'), { async: false });
  t.equal(html, '<code>a `b` c</code>');
});

t.test('all passing: a green heading and no problem table', async (t) => {
  const passing = result.results.filter((r) => r.status === 'pass');
  const out = format({ summary: summarize(passing), results: passing, unmatched: 'allow' });
  t.match(out, /^### ✅ /);
  t.match(out, /All images verified\./);
  t.equal(tables(out).length, 1);
});

t.test('a huge result is cut to fit a PR comment, saying so', async (t) => {
  const many: ImageResult[] = Array.from({ length: 2000 }, (_, i) => ({ ...result.results[0]!, image: `ghcr.io/acme/app-${i}:1` }));
  const out = format({ summary: summarize(many), results: many, unmatched: 'allow' });
  t.ok(out.length < 65_536, `${out.length} characters`);
  t.match(out, /more rows left out to fit a comment/);
});

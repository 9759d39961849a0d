import t from 'tap';
import { escapeData, escapeProperty, format, summary } from '../../src/report/github.js';
import { format as markdown } from '../../src/report/markdown.js';
import { golden, result } from './fixture.js';

/** Parse one workflow command the way the runner does: `::name k=v,k=v::data`. */
function parseCommand(line: string) {
  const m = /^::(\w+) ([^:]*)::(.*)$/.exec(line);
  if (!m) return undefined;
  const unescape = (s: string) => s.replace(/%2C/g, ',').replace(/%3A/g, ':').replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');
  const props = Object.fromEntries(
    m[2]!.split(',').map((kv) => {
      const i = kv.indexOf('=');
      return [kv.slice(0, i), unescape(kv.slice(i + 1))];
    }),
  );
  return { command: m[1]!, props, message: unescape(m[3]!) };
}

t.test('golden: -o github of the every-status result', async (t) => {
  const out = format(result);
  t.equal(out, await golden('report.github.txt', out));
});

t.test('escaping follows the runner: % CR LF in data, also : and , in properties', async (t) => {
  t.equal(escapeData('100% a\r\nb: c, d'), '100%25 a%0D%0Ab: c, d');
  t.equal(escapeProperty('100% a\r\nb: c, d'), '100%25 a%0D%0Ab%3A c%2C d');
  t.equal(escapeData('%0A'), '%250A', 'an already-escaped-looking value is escaped again');
});

t.test('one annotation per non-passing image × policy × use, every line a valid command', async (t) => {
  const lines = format(result).trimEnd().split('\n');
  const commands = lines.slice(0, -1).map(parseCommand);
  t.ok(commands.every(Boolean), 'every line but the summary parses as a workflow command');
  t.match(lines.at(-1), /^verify-images: 7 images: 1 pass, 1 fail, 1 warn, 1 skip, 1 unmatched, 2 error$/);
  const parsed = commands.map((c) => c!);
  t.same(
    parsed.map((c) => [c.command, c.props.file, c.props.line]),
    [
      ['error', 'apps/web.yaml', '21'],
      ['error', 'apps/web-canary.yaml', '18'],
      ['error', 'apps/agent.yaml', '9'],
      ['warning', 'apps/agent.yaml', '9'],
      ['error', '<stdin>', '3'],
      ['warning', 'apps/worker.yaml', '15'],
      ['notice', 'apps/debug.yaml', '4'],
    ],
  );
  const bad = parsed.find((c) => c.props.file === '<stdin>')!;
  t.equal(bad.props.title, 'error: bad image|<script>alert(1)</script>');
  t.match(bad.message, 'invalid reference: 100% wrong, see "docs": a,b\nsecond line', 'newline and % survive the round trip');
  t.match(bad.message, 'used by Job ci/x,y:z container c%1');
  t.notOk(format(result).split('\n').some((l) => l.startsWith('second line')), 'a newline in a reason cannot start a new command');
  const strict = format({ ...result, unmatched: 'fail' });
  t.match(strict, /^::error file=apps\/debug\.yaml,line=4,/m, 'blocking unmatched is an error');
});

t.test('the job summary is the Markdown report', async (t) => {
  t.equal(summary(result), markdown(result));
});

import t from 'tap';
import { toOptions } from '../../src/cli/verify.js';

t.test('inputs come from positionals, -f and -k; default is the current directory', async (t) => {
  t.same(toOptions({}, {}, {}, false).inputs, ['.']);
  t.same(toOptions({ paths: ['a'], filename: ['b.yaml'], kustomize: ['overlays/prod'] }, {}, {}, false).inputs, ['a', 'b.yaml', 'overlays/prod']);
});

t.test('flags win over the config', async (t) => {
  const o = toOptions({ concurrency: 3, insecureRegistry: ['r1'] }, { concurrency: 8, insecureRegistries: ['r2'], unmatched: 'fail' }, {}, false);
  t.equal(o.concurrency, 3);
  t.same(o.insecureRegistries, ['r1', 'r2']);
  t.equal(o.unmatched, 'fail');
  t.equal(toOptions({}, {}, {}, false).concurrency, 16);
});

t.test('--no-cache disables, --cache-dir overrides', async (t) => {
  t.equal(toOptions({ cache: false }, { cacheDir: '/c' }, {}, false).cache, false);
  t.equal(toOptions({ cacheDir: 'd' }, { cacheDir: '/c' }, {}, false).cache, 'd');
  t.equal(toOptions({}, { cacheDir: '/c' }, {}, false).cache, '/c');
});

t.test('colour only on a TTY, never with NO_COLOR or --no-color', async (t) => {
  t.equal(toOptions({}, {}, {}, true).color, true);
  t.equal(toOptions({}, {}, {}, false).color, false);
  t.equal(toOptions({}, {}, { NO_COLOR: '' }, true).color, false);
  t.equal(toOptions({ color: false }, {}, {}, true).color, false);
});

import t from 'tap';
import { assertOnlyIntended } from '../../src/pin/check.js';
import { isPinned, pinnedReference } from '../../src/pin/pinned-reference.js';
import { applyEdits, hasFluxMarker, replaceScalarText } from '../../src/pin/splice.js';
import type { PinChange, ScalarEdit } from '../../src/pin/types.js';

const D = `sha256:${'b'.repeat(64)}`;
const edit = (start: number, end: number, from: string, to: string): ScalarEdit => ({ start, end, from, to, change: {} as PinChange });

t.test('pinned form keeps what was written', async (t) => {
  t.equal(pinnedReference('nginx:1.25', D), `nginx:1.25@${D}`);
  t.equal(pinnedReference('localhost:5000/a/b', D), `localhost:5000/a/b@${D}`);
  t.equal(pinnedReference(`nginx:1.25@sha256:${'c'.repeat(64)}`, D), `nginx:1.25@${D}`, 'a stale digest is replaced');
  t.ok(isPinned(`nginx@${D}`));
  t.notOk(isPinned('nginx:1.25'));
});

t.test('replaceScalarText keeps quotes and block headers', async (t) => {
  t.equal(replaceScalarText('"a:1"', 'a:1', 'a:1@x'), '"a:1@x"');
  t.equal(replaceScalarText("'a:1'", 'a:1', 'a:1@x'), "'a:1@x'");
  t.equal(replaceScalarText('|-\n  a:1\n', 'a:1', 'a:1@x'), '|-\n  a:1@x\n');
  t.equal(replaceScalarText('""', '', D), `"${D}"`);
  t.equal(replaceScalarText('', '', D), D);
  t.throws(() => replaceScalarText('"b:1"', 'a:1', 'x'), { code: 'PIN_EDIT_FAILED' });
});

t.test('applyEdits splices in any order, refuses overlaps, adds a space after a bare key', async (t) => {
  const text = 'a: x:1\nb: "y:2"\n';
  t.equal(applyEdits(text, [edit(11, 16, 'y:2', 'y:2@d'), edit(3, 6, 'x:1', 'x:1@d')]), 'a: x:1@d\nb: "y:2@d"\n');
  t.throws(() => applyEdits(text, [edit(3, 6, 'x:1', 'q'), edit(4, 6, ':1', 'q')]), { code: 'PIN_EDIT_FAILED' });
  t.equal(applyEdits('digest:\n', [edit(7, 7, '', D)]), `digest: ${D}\n`);
});

t.test('Flux $imagepolicy markers are recognised on the scalar line only', async (t) => {
  const text = 'image: a:1 # {"$imagepolicy": "flux-system:a"}\nimage: b:1 # plain\n# {"$imagepolicy": "x:y"}\n';
  t.ok(hasFluxMarker(text, 7));
  t.notOk(hasFluxMarker(text, text.indexOf('b:1')));
  t.ok(hasFluxMarker('tag: "1.0" # {"$imagepolicy": "ns:p:tag"}', 5), 'tag setters too');
});

t.test('the re-parse check accepts only the intended change', async (t) => {
  const before = 'a: x:1\nb: y\n';
  t.doesNotThrow(() => assertOnlyIntended('f', before, 'a: x:1@d\nb: y\n', [edit(3, 6, 'x:1', 'x:1@d')]));
  t.throws(() => assertOnlyIntended('f', before, 'a: x:1@d\nb: z\n', [edit(3, 6, 'x:1', 'x:1@d')]), { code: 'PIN_CHECK_FAILED' }, 'another value changed');
  t.throws(() => assertOnlyIntended('f', before, 'a: x:1 #d\nb: y\n', [edit(3, 6, 'x:1', 'x:1 #d')]), { code: 'PIN_CHECK_FAILED' }, 'a splice that turned into a comment');
  t.throws(() => assertOnlyIntended('f', before, 'a: [x\n', [edit(3, 6, 'x:1', '[x')]), { code: 'PIN_CHECK_FAILED' }, 'no longer parses');
  t.throws(() => assertOnlyIntended('f', before, before, [edit(4, 6, 'x:1', 'x')]), { code: 'PIN_CHECK_FAILED' }, 'no scalar at that offset');
});

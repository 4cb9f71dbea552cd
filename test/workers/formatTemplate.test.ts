/** Shell templates format as Python's str.format does: checked against a real python3. */
import test from 'ava';
import { ExecutorFailure } from '../../endpoint/workers/errors.js';
import { formatTemplate } from '../../endpoint/workers/formatTemplate.js';
import { TailBuffer } from '../../endpoint/workers/tailBuffer.js';
import { python } from './helpers.js';

const cases: [string, unknown[], Record<string, unknown>][] = [
  ['echo {name}', [], { name: 'World' }],
  ['{} and {}', ['a', 'b'], {}],
  ['{1} {0} {1}', ['x', 'y'], {}],
  ['{{literal}} {x}', [], { x: 1 }],
  ['{flag} {nothing} {items} {obj}', [], { flag: true, nothing: null, items: ['a', 1, false], obj: { k: 'v' } }],
  ['{items[1]} {obj[k]} {s!r} {q!r} {both!r}', [], { items: ['a', 'b'], obj: { k: 'v' }, s: "it's", q: 'tab\there\n', both: `'"\\` }],
  ['[{n:5}] [{n:<5}] [{n:^5}] [{n:05}] [{n:+d}] [{s:>6}] [{s:*^7}] [{s:.2}]', [], { n: 42, s: 'abc' }],
  ['{x:.3f} {x:8.2f} {r:.1%} {neg:06.1f}', [], { x: 3.14159, r: 0.256, neg: -2.5 }],
];

test('templates format exactly as Python str.format does', (t) => {
  const script = 'import json, sys\nfor template, args, kwargs in json.load(sys.stdin):\n    print(json.dumps(template.format(*args, **kwargs)))';
  const expected = python(script, JSON.stringify(cases)).split('\n').map((line) => JSON.parse(line) as string);
  t.deepEqual(cases.map(([template, args, kwargs]) => formatTemplate(template, args, kwargs)), expected);
});

test('template errors carry Python\'s exception types', (t) => {
  const typeOf = (template: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}) =>
    t.throws(() => formatTemplate(template, args, kwargs), { instanceOf: ExecutorFailure })?.type;
  t.is(typeOf('{missing}'), 'KeyError');
  t.is(typeOf('{0} {1}', ['only one']), 'IndexError');
  t.is(typeOf('{} {0}', ['a']), 'ValueError');
  t.is(typeOf('unbalanced }'), 'ValueError');
  t.is(typeOf('unbalanced {'), 'ValueError');
  t.is(typeOf('{x:d}', [], { x: 'text' }), 'ValueError');
});

test('a tail buffer keeps the last bytes, starting on a character boundary', (t) => {
  const short = new TailBuffer(4);
  short.push(Buffer.from('abc'));
  t.is(short.text(), 'abc');
  short.push(Buffer.from('déf')); // 7 bytes: é is two
  t.is(short.text(), '[funcX: output cut: the first 3 bytes were dropped, the last 4 follow]\ndéf');
  const midCharacter = new TailBuffer(2);
  midCharacter.push(Buffer.from('abcdéf')); // the last 2 bytes start inside é: that half is dropped too
  t.is(midCharacter.text(), '[funcX: output cut: the first 6 bytes were dropped, the last 1 follow]\nf');
});

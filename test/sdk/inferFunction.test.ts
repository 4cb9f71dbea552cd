/** `funcx function register FILE`: what it infers from FILE, and when it refuses to guess. */
import test from 'ava';
import { inferFunction, topLevelPythonFunctions } from '../../sdk/cli/inferFunction.js';

test('the runtime comes from the extension and a .py file\'s only top-level function is its entry point', (t) => {
  const python = inferFunction('/tmp/sq.py', 'import math\n\ndef sq(x):\n    def inner():\n        pass\n    return x * x\n', {});
  t.deepEqual(python, { runtime: 'python', entryPoint: 'sq', notes: ['--runtime python (from .py)', "--entry-point sq (the file's only top-level function)"] });
  t.like(inferFunction('triple.js', '(x) => 3 * x', {}), { runtime: 'javascript', entryPoint: undefined });
  t.like(inferFunction('triple.MJS', '(x) => 3 * x', {}), { runtime: 'javascript' });
  t.like(inferFunction('job.sh', 'echo {0}', {}), { runtime: 'shell', entryPoint: undefined });
  t.like(inferFunction('x.py', 'async def go():\n    return 1\n', {}), { entryPoint: 'go' });
});

test('given options are kept and not reported as inferred', (t) => {
  t.deepEqual(inferFunction('code.txt', 'def a(): pass\ndef b(): pass\n', { runtime: 'python', entryPoint: 'b' }), { runtime: 'python', entryPoint: 'b', notes: [] });
  t.deepEqual(inferFunction('a.py', 'def a(): pass\ndef b(): pass\n', { entryPoint: 'a' }).notes, ['--runtime python (from .py)']);
});

test('an unknown extension, or a .py file with no or several top-level functions, is a usage error naming the option', (t) => {
  t.throws(() => inferFunction('notes.txt', '', {}), { message: /cannot tell the runtime of notes\.txt from its extension \(\.txt\): pass --runtime/ });
  t.throws(() => inferFunction('Makefile', '', {}), { message: /\(none\)/ });
  t.throws(() => inferFunction('two.py', 'def one():\n    pass\ndef two():\n    pass\n', {}), { message: /defines 2 top-level functions \(one, two\): name the one to call with --entry-point/ });
  t.throws(() => inferFunction('none.py', 'x = 1\n    def indented(): pass\n', {}), { message: /defines no top-level function/ });
});

test('only functions at column 0 count', (t) => {
  t.deepEqual(topLevelPythonFunctions('class A:\n    def m(self): pass\ndef f(): pass\n# def g(): pass\n'), ['f']);
});

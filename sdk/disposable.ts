/**
 * `await using executor = new Executor(...)` calls `executor[Symbol.asyncDispose]()`.
 * Node 20.9+ (our minimum) defines Symbol.asyncDispose, but engines that
 * predate explicit resource management (older Node, some embedders) do not;
 * there TypeScript's downlevelled `await using` looks the symbol up on
 * `Symbol`, finds nothing and throws. Defining it, as the TC39 proposal's own
 * polyfills do, makes the Executor disposable everywhere. Imported for its side effect.
 */
if (typeof Symbol.asyncDispose !== 'symbol') {
  Object.defineProperty(Symbol, 'asyncDispose', { value: Symbol.for('Symbol.asyncDispose'), configurable: false, writable: false, enumerable: false });
}

export const asyncDispose: typeof Symbol.asyncDispose = Symbol.asyncDispose;

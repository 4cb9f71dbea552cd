// Lint runs in `npm test`; type-aware rules stay off so lint is fast and tsc is the type check.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * One package's import rule: no-restricted-imports for static imports and re-exports, and the same
 * patterns as no-restricted-syntax selectors for dynamic import() with a literal path, which
 * no-restricted-imports does not see. (esquery's regex literals cannot hold a '/': it is written \x2F.)
 */
function importDirection(patterns) {
  return {
    'no-restricted-imports': ['error', { patterns }],
    'no-restricted-syntax': ['error', ...patterns.map(({ regex, message }) => ({
      selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\x2F')}/]`,
      message: `${message} (a dynamic import() too)`,
    }))],
  };
}

export default tseslint.config(
  { ignores: ['dist/', '*/dist/', 'dist-*/', 'node_modules/', 'shared/wire/', 'sdk/python/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
      eqeqeq: ['error', 'smart'],
      // On Node 20 a signal made by AbortSignal.any stays listed on each source for good: linked to a
      // long-lived one (a shutdown, a stop) per request, it leaks. shared/linkedAbortSignal.ts unlinks.
      'no-restricted-properties': ['error', { object: 'AbortSignal', property: 'any', message: 'use linkedAbortSignal (@funcx-ts/shared/linkedAbortSignal.js) and release it: on Node 20 AbortSignal.any leaks on a long-lived source' }],
    },
  },
  {
    files: ['*.config.js'],
    languageOptions: { globals: { process: 'readonly' } },
  },
  {
    // shared/ is for every part (service, endpoint, SDK) and becomes a dependency-free package: node: built-ins only.
    files: ['shared/**'],
    rules: importDirection([{ regex: '^(?!node:|\\.{1,2}/(?!\\.\\./))', message: 'shared/ imports only node: built-ins and its own files' }]),
  },
  // The import direction between the packages (docs/architecture.md, "Packages"). A relative path
  // is matched by the top-level folder it names: no folder of the packages is called like one.
  {
    // The SDK (funcx-ts): itself, @funcx-ts/shared (by name) and its dependencies; nothing of the service or the endpoint.
    files: ['sdk/**'],
    rules: importDirection([
      { regex: '^(\\.\\./)+(src|action-provider|migrations|endpoint|shared|test)/', message: 'the SDK (funcx-ts) is a package of its own: it imports only itself and @funcx-ts/shared (by name)' },
      { regex: '^(funcx-endpoint|funcx-service)(/|$)', message: 'the SDK (funcx-ts) does not depend on the endpoint or the service' },
    ]),
  },
  {
    // The endpoint (funcx-endpoint): itself, @funcx-ts/shared (by name) and its dependencies; nothing of the service or the SDK.
    files: ['endpoint/**'],
    rules: importDirection([
      { regex: '^(\\.\\./)+(src|action-provider|migrations|sdk|shared|test)/', message: 'the endpoint (funcx-endpoint) is a package of its own: it imports only itself and @funcx-ts/shared (by name)' },
      { regex: '^(funcx-ts|funcx-service)(/|$)', message: 'the endpoint (funcx-endpoint) does not depend on the SDK or the service' },
    ]),
  },
  {
    // The service (the root package): the endpoint only through its public entry ('funcx-endpoint'), never its files.
    files: ['src/**', 'action-provider/**', 'migrations/**'],
    rules: importDirection([
      { regex: '^(\\.\\./)+(endpoint|sdk|shared|test)/', message: 'the service reaches the endpoint only through its public entry (import from \'funcx-endpoint\'), and @funcx-ts/shared by name' },
      { regex: '^(funcx-endpoint|funcx-ts)/', message: 'only the package\'s public entry (\'funcx-endpoint\'), not its files' },
    ]),
  },
  {
    files: ['src/cli/**', 'endpoint/cli/**', 'bench/**', 'scripts/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  // The Action Provider (action-provider/) is a part mounted into the service with a boundary both ways
  // (src/servicePart.ts): it sees the service only through src/forParts.ts (and the generated wire types), and the
  // service sees it only through action-provider/index.ts. Written with typescript-eslint's twin of
  // no-restricted-imports so that these patterns never replace another block's for the same files (flat config keeps
  // only the last options given to one rule). test/lint/action-provider-boundary.test.ts proves both bite.
  { ignores: ['test/lint/fixtures/action-provider/'] },
  {
    files: ['action-provider/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{
          regex: '^(\\.\\./)+src/(?!forParts\\.js$)',
          message: 'action-provider/ uses the service only through src/forParts.ts (add the name there if a part really needs it)',
        }],
      }],
    },
  },
  {
    files: ['src/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{ regex: '^(\\.\\./)+action-provider/(?!index\\.js$)', message: 'the service reaches the Action Provider only through action-provider/index.ts' }],
      }],
    },
  },
  {
    // No source file over 600 lines (STYLE.md): every line counts, comments and blanks too, as `wc -l` counts
    // and as a reader scrolls. Tests are exempt: a test file is one behaviour's cases, read one test at a time.
    files: ['{src,endpoint,sdk,shared,action-provider,migrations,scripts,bench,console}/**/*.{ts,js}'],
    rules: { 'max-lines': ['error', { max: 600, skipBlankLines: false, skipComments: false }] },
  },
);

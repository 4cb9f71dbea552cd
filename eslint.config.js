// Lint runs in `npm test`; type-aware rules stay off so lint is fast and tsc is the type check.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist-*/', 'node_modules/', 'src/generated/', 'sdk/python/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['*.config.js'],
    languageOptions: { globals: { process: 'readonly' } },
  },
  {
    // shared/ is for every part (service, endpoint, SDK) and becomes a dependency-free package: node: built-ins only.
    files: ['shared/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!node:|\\.{1,2}/(?!\\.\\./))', message: 'shared/ imports only node: built-ins and its own files' }] }] },
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
          regex: '^(\\.\\./)+src/(?!forParts\\.js$|generated/schemas/)',
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

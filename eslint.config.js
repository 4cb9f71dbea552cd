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
);

// ESLint: typescript-eslint's recommended rules, React hooks rules, and the layer rules of
// docs/conventions.md as import restrictions (lib/core is pure; one importer per heavy library).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const IO_MODULES = [
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'child_process',
  'node:child_process',
  'net',
  'node:net',
  'http',
  'node:http',
  'pg',
  'pg-boss',
  '@prisma/*',
  'next',
  'next/*',
  'react',
  'react-dom',
];

const DIMSE_MESSAGE = 'Only lib/dicom/net imports dcmjs-dimse (the DICOM network layer; docs/conventions.md, item 4).';

/** Restrict imports of `names` (module names or globs) to files outside `except`. */
function onlyImportedBy(names, message) {
  return { paths: [], patterns: [{ group: names, message }] };
}

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.next/**',
      '.data/**',
      '.cache/**',
      'lib/server/db/generated/**',
      'test-results/**',
      'playwright-report/**',
      'next-env.d.ts',
      '**/*.d.ts',
      'models/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // The React Compiler's stricter rules are advice for code we do not compile with it.
      'react-hooks/set-state-in-effect': 'off',
      'react-hooks/refs': 'off',
      'react-hooks/purity': 'off',
      'react-hooks/immutability': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-control-regex': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
      // A variable a cleanup closure reads before its one assignment cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'no-restricted-imports': [
        'error',
        {
          paths: [],
          patterns: [
            { group: ['dcmjs', 'dicom-parser'], message: 'Only lib/dicom imports dcmjs / dicom-parser (docs/conventions.md, item 4).' },
            { group: ['onnxruntime-node', 'onnxruntime-*'], message: 'Only lib/inference imports onnxruntime (docs/conventions.md, item 4).' },
            { group: ['dcmjs-dimse', 'dcmjs-dimse/*'], message: DIMSE_MESSAGE },
          ],
        },
      ],
    },
  },
  // The layer owners may import their library.
  {
    files: ['lib/dicom/**'],
    ignores: ['lib/dicom/net/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [],
          patterns: [
            { group: ['onnxruntime-node', 'onnxruntime-*'], message: 'Only lib/inference imports onnxruntime (docs/conventions.md, item 4).' },
            { group: ['dcmjs-dimse', 'dcmjs-dimse/*'], message: DIMSE_MESSAGE },
          ],
        },
      ],
    },
  },
  {
    files: ['lib/dicom/net/**', 'tests/**', 'scripts/**', 'bench/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        onlyImportedBy(['onnxruntime-node', 'onnxruntime-*'], 'Only lib/inference imports onnxruntime (docs/conventions.md, item 4).'),
      ],
    },
  },
  {
    files: ['lib/inference/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [],
          patterns: [
            { group: ['dcmjs', 'dicom-parser'], message: 'Only lib/dicom imports dcmjs / dicom-parser (docs/conventions.md, item 4).' },
            { group: ['dcmjs-dimse', 'dcmjs-dimse/*'], message: DIMSE_MESSAGE },
          ],
        },
      ],
    },
  },
  // lib/core is pure: no I/O, no framework, no database, no model runtime, no DICOM library.
  {
    files: ['lib/core/**'],
    ignores: ['lib/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [],
          patterns: [
            { group: IO_MODULES, message: 'lib/core is pure: no I/O, framework or database imports (docs/conventions.md, item 1).' },
            {
              group: ['dcmjs', 'dcmjs-dimse', 'dicom-parser', 'onnxruntime-node', 'onnxruntime-*'],
              message: 'lib/core is pure: DICOM and model runtimes stay in lib/dicom and lib/inference.',
            },
            {
              group: [
                '**/lib/server/**',
                '**/server/**',
                '@/lib/server/*',
                '@/lib/dicom/*',
                '@/lib/inference/*',
                '@/lib/nifti/*',
                '../../server/*',
                '../../dicom/*',
                '../../inference/*',
                '../../nifti/*',
                '../server/*',
                '../dicom/*',
                '../inference/*',
                '../nifti/*',
              ],
              message: 'lib/core depends on nothing outside lib/core (docs/conventions.md, item 1).',
            },
          ],
        },
      ],
    },
  },
  // Tests read JSON fixtures of other tools' output, typed loosely on purpose; Playwright's
  // fixture callback is named `use`, which is not a React hook.
  {
    files: ['tests/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'react-hooks/rules-of-hooks': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

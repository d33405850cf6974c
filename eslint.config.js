// Lint rules, chiefly the layer rules of DESIGN §2: who may import whom.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const pureMmu = ['**/emulator/**', '**/cli/**', 'koffi', 'ink', 'react', 'yargs'];

const layer = (files, patterns, message) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }] },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'guests/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // A lab skeleton's functions take the parameters the student will use, before they are used.
  { files: ['labs/*/skeleton/**'], rules: { '@typescript-eslint/no-unused-vars': 'off' } },
  layer(
    ['mmu/*.ts', 'mmu/guest-walk/**'],
    pureMmu,
    'mmu/ is pure TypeScript and never imports emulator/ or cli/ (DESIGN §2)',
  ),
  layer(
    ['mmu/host/**'],
    [...pureMmu, '../gpt/**', '../vm/**', '../guest-walk/**'],
    'mmu/host imports nothing above it (DESIGN §2)',
  ),
  layer(
    ['mmu/gpt/**'],
    [...pureMmu, '../vm/**', '../guest-walk/**'],
    'mmu/gpt may import only mmu/host (DESIGN §2)',
  ),
  layer(
    ['mmu/vm/**'],
    [...pureMmu, '../guest-walk/**'],
    'mmu/vm may import mmu/host and mmu/gpt (DESIGN §2)',
  ),
  layer(['emulator/**'], ['**/cli/**', 'ink', 'react', 'yargs'], 'emulator/ never imports cli/ (DESIGN §2)'),
  layer(
    ['labs/**'],
    ['**/cli/**', '**/emulator/**', '**/mmu/**', 'ink', 'react', 'yargs', 'koffi'],
    'labs/ import the library API (index.ts), not its layers or the CLI (ARCHITECTURE.md §2)',
  ),
);

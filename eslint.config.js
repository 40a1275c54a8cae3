// Lint for lib/, tests, benchmarks and scripts. The rule that matters most here is
// import-x/no-cycle: lib/ imports flow one way (../shared/DESIGN.md §1), so object files never
// import each other in a circle and pure modules load without the addon. Type-only imports are
// erased at run time and may go both ways.
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'prebuilds/'] },
  ...tseslint.configs.recommended,
  importX.flatConfigs.typescript,
  {
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
    rules: {
      'import-x/no-cycle': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
);

import { defineConfig } from 'vitest/config';

// unit: no privileges. integration and lifecycle: root, run by `npm test` inside a private
// network + mount namespace (test/in-private-netns.sh), never in the machine's own.
export default defineConfig({
  test: {
    // `npm run coverage` (CI prints it): lib/ as every tier exercises it, held at 95% of lines
    // and 90% of branches.
    coverage: {
      include: ['lib/**'],
      exclude: ['lib/index.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: { lines: 95, branches: 90 },
    },
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], setupFiles: ['test/support/gcov-exit.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          setupFiles: ['test/support/gcov-exit.ts', 'test/support/namespace-guard.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'lifecycle',
          include: ['test/lifecycle/**/*.test.ts'],
          setupFiles: ['test/support/gcov-exit.ts', 'test/support/namespace-guard.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});

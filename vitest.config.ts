import { defineConfig } from 'vitest/config';

// Tests run straight from source: the private "unroll-source" export condition
// points each workspace package at its src/index.ts. Vite replaces the default
// conditions when a list is given, so the defaults are listed too.
const conditions = ['unroll-source', 'import', 'module', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});

import { defineConfig } from 'vitest/config';

// Tests run straight from source: the private "unroll-source" export condition
// points each workspace package at its src/index.ts. Vite replaces the default
// conditions when a list is given, so the defaults are listed too.
const conditions = ['unroll-source', 'import', 'module', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    testTimeout: 60_000,
    pool: 'forks',
    // Kernels run on UNROLL_NUM_THREADS threads: every suite runs at 2, and the kernel, autograd and rnn
    // suites again at 1 (`vitest run --project threads-2` runs one of them).
    projects: [
      {
        extends: true,
        test: { name: 'threads-2', include: ['packages/*/test/**/*.test.ts'], env: { UNROLL_NUM_THREADS: '2' } },
      },
      {
        extends: true,
        test: {
          name: 'threads-1',
          include: ['packages/{core,autograd,rnn}/test/**/*.test.ts'],
          env: { UNROLL_NUM_THREADS: '1' },
        },
      },
    ],
  },
});

import { defineConfig } from 'vitest/config';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS (main) and ESM (module) builds. Node, and so Apollo and Pothos, load the
    // CommonJS one; Vite would pick the ESM one for our files, and two copies of graphql's classes
    // cannot be mixed ("from another module or realm"). Point every import at Node's choice.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts', '**/__tests__/**/*.test.ts'],
    exclude: ['node_modules/**', '.data/**'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});

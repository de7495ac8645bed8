/** Tests are transpiled by swc (no per-file type-check); `npm run typecheck` checks types once. */
module.exports = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  // The QEMU VM suite runs on its own: `npm run test:vm` (jest.vm.config.js).
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/vm/"],
  modulePathIgnorePatterns: ["<rootDir>/bin/", "<rootDir>/.venv/", "<rootDir>/test/e2e/.cache/", "<rootDir>/test/vm/.cache/"],
  // The built-in targets register themselves when the package entry loads; tests that import
  // the config core directly get them from this setup file.
  setupFiles: ["<rootDir>/test/support/registerTargets.ts"],
  testTimeout: 30000,
  // Jest 30 "soft"-deletes what a test file left on the global scope and prints a JEST-01
  // deprecation block whenever a callback that outlived its test file touches it.
  // "on" (delete for real) breaks child_process here: spawnSync returns no stdout/stderr in the
  // plan tests. "off" keeps jest 29's behaviour: no cleanup, no warning; each file resets Pulumi's
  // state itself (setMocks).
  testEnvironmentOptions: { globalsCleanup: "off" },
  // Component tests each set Pulumi's process-wide mocks: keep files isolated, two at a time on 2 cores.
  maxWorkers: 2,
};

/**
 * `npm run test:vm`: the QEMU VM suite (test/vm/), apart from `npm test`: it boots VMs under TCG
 * and takes minutes. One file, one VM at a time.
 */
const base = require("./jest.config");

module.exports = {
  ...base,
  testMatch: ["<rootDir>/test/vm/**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/"],
  modulePathIgnorePatterns: [...base.modulePathIgnorePatterns, "<rootDir>/test/vm/.cache/"],
  // The built-in targets register themselves when the package entry loads; tests that import
  // the config core directly get them from this setup file.
  setupFiles: ["<rootDir>/test/support/registerTargets.ts"],
  testTimeout: 15 * 60 * 1000,
  maxWorkers: 1,
};

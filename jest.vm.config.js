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
  testTimeout: 15 * 60 * 1000,
  maxWorkers: 1,
};

/**
 * Jest setup (jest.config.js setupFiles): registers the built-in targets, as the package entry
 * (components/index.ts) does, for tests that import the config core or a target's module directly.
 */
import "../../components/targets";

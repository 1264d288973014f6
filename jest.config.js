const { availableParallelism } = require("node:os");

/** @type {import('jest').Config} */
module.exports = {
  // Jest runs in band on 2 cores (cores - 1 workers); two workers there halve the wall time and
  // each holds half the suites' modules.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  // Transpile only: `npm run typecheck` type-checks once, instead of once per test file.
  transform: { "^.+\\.ts$": ["ts-jest", { isolatedModules: true }] },
  // Every committed definition is synthesized once per run; suites read the result.
  globalSetup: "<rootDir>/__tests__/global-setup.ts",
  globalTeardown: "<rootDir>/__tests__/global-teardown.ts",
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
};

/** @type {import('jest').Config} */
module.exports = {
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

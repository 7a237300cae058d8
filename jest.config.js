/** Unit specs sit beside the code; end-to-end specs in test/ run against real PostgreSQL and Redis. */
const shared = {
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@app/money$': '<rootDir>/libs/money/src',
    '^@app/errors$': '<rootDir>/libs/errors/src',
    '^@app/testing$': '<rootDir>/libs/testing/src',
  },
  testEnvironment: 'node',
};

module.exports = {
  testTimeout: 60_000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
    // Its own PostgreSQL and Redis, which it kills; runs the build in dist/ (npm test builds first).
    { ...shared, displayName: 'chaos', testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'] },
  ],
};

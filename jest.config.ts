import type { Config } from 'jest';

/**
 * ts-jest, with the @nestjs/swagger plugin on DTOs and controllers as `nest build` applies it,
 * so the tests serve the OpenAPI document the built service serves.
 */
const transform: Config['transform'] = {
  '^.+\\.ts$': '<rootDir>/scripts/ts-jest-swagger-plugin.cjs',
};

/**
 * The auth-client workspace is tested from its sources, and its testing entry point loads
 * the service from `src` (its published form loads the service's compiled `dist`).
 */
const moduleNameMapper: Config['moduleNameMapper'] = {
  '^@auth-service/auth-client$': '<rootDir>/packages/auth-client/src/index.ts',
  '^@auth-service/auth-client/(core|testing)$': '<rootDir>/packages/auth-client/src/$1/index.ts',
};

const config: Config = {
  // A bound against hangs, never a measure of speed: generous for app starts on a loaded machine.
  testTimeout: 60_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      transform,
    },
    {
      displayName: 'auth-client',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/packages/auth-client/test/**/*.spec.ts'],
      transform,
      moduleNameMapper,
    },
    {
      // The typed client: unit specs, and e2e specs against the real service (and real Chromium).
      displayName: 'client',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: [
        '<rootDir>/packages/client/test/**/*.spec.ts',
        '<rootDir>/packages/client/test/**/*.e2e-spec.ts',
      ],
      transform,
      // Its sources import each other with `.js`, as ESM needs; the tests run them as CommonJS.
      moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
      globalSetup: '<rootDir>/test/utils/global-setup.ts',
      globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/utils/close-leftover-apps.ts'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts', '<rootDir>/examples/**/*.e2e-spec.ts'],
      transform,
      moduleNameMapper,
      globalSetup: '<rootDir>/test/utils/global-setup.ts',
      globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/utils/close-leftover-apps.ts'],
    },
  ],
};

export default config;

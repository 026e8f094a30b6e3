// The @nestjs/swagger CLI plugin as `nest build` runs it (options from nest-cli.json), for the
// tools that compile TypeScript without the Nest CLI: ts-jest (ts-jest-swagger-plugin.cjs) and
// `npm run openapi` (ts-node, see ts-node-swagger-plugin.cjs). All three describe the DTOs
// alike, so the document the tests serve, the one `npm run openapi` commits and the one the
// built service serves agree. The plugin reads types: no tool may run it transpile-only.
const { before } = require('@nestjs/swagger/plugin');
const nestCli = require('../nest-cli.json');

const options = nestCli.compilerOptions.plugins.find(
  (plugin) => plugin.name === '@nestjs/swagger',
).options;

module.exports = {
  options,
  before,
  // ts-jest `astTransformers` entry; jest.config.ts passes `options`, so they key its cache.
  name: 'nestjs-swagger-plugin',
  version: 1,
  // ts-jest 29.4 sets `program` once, when its language service starts: a type checker from
  // that program sees a class imported from another file as `any` (documented as `Object`).
  // The language service's current program is the one being emitted.
  factory: (tsCompiler, pluginOptions) =>
    before(pluginOptions, tsCompiler._languageService?.getProgram() ?? tsCompiler.program),
};

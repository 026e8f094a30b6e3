// Jest transformer for the files the @nestjs/swagger plugin reads (DTOs, controllers): ts-jest
// with the plugin and a full program, which the plugin needs for types. The other files keep
// ts-jest's per-file transpilation (a full program would also emit the tests' `import()` of
// ESM-only packages as `require`). ts-jest keys its compiler by the Jest project's config
// alone, so the config passed on is marked: otherwise both entries would share whichever
// compiler started first.
const { TsJestTransformer } = require('ts-jest');
const swaggerPlugin = require('./swagger-plugin.cjs');

const marked = new WeakMap();

function withOwnCompiler(transformOptions) {
  const { config } = transformOptions;
  if (!marked.has(config)) marked.set(config, { ...config, id: `${config.id}:swagger-plugin` });
  return { ...transformOptions, config: marked.get(config) };
}

module.exports = {
  createTransformer() {
    const tsJest = new TsJestTransformer({
      tsconfig: { isolatedModules: false },
      // Type errors are for `npm run lint` and the build; 151002 says a full program emits
      // CommonJS (these files hold no `import()`).
      diagnostics: { exclude: ['**'], ignoreCodes: [151002] },
      astTransformers: {
        before: [{ path: require.resolve('./swagger-plugin.cjs'), options: swaggerPlugin.options }],
      },
    });
    return {
      canInstrument: tsJest.canInstrument,
      getCacheKey: (source, path, options) =>
        tsJest.getCacheKey(source, path, withOwnCompiler(options)),
      getCacheKeyAsync: (source, path, options) =>
        tsJest.getCacheKeyAsync(source, path, withOwnCompiler(options)),
      process: (source, path, options) => tsJest.process(source, path, withOwnCompiler(options)),
      processAsync: (source, path, options) =>
        tsJest.processAsync(source, path, withOwnCompiler(options)),
    };
  },
};

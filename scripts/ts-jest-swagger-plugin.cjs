// Jest's TypeScript transformer: ts-jest, with the @nestjs/swagger plugin (options from
// nest-cli.json) applied to the files the plugin reads (DTOs, controllers) as `nest build`
// applies it. The plugin needs types, so those files compile with a full program; every other
// file keeps ts-jest's per-file transpilation (a full program would also emit the tests'
// `import()` of ESM-only packages as `require`, which Jest cannot do on Node 20).
// ts-jest keys its compiler by the Jest project's config alone, so the config passed to the
// plugin's compiler is marked: otherwise both would share whichever compiler started first.
const { TsJestTransformer } = require('ts-jest');
const swaggerPlugin = require('./swagger-plugin.cjs');

const { dtoFileNameSuffix, controllerFileNameSuffix } = swaggerPlugin.options;
const pluginFiles = new RegExp(
  `(${[...dtoFileNameSuffix, ...controllerFileNameSuffix]
    .map((suffix) => suffix.replace(/\./g, '\\.'))
    .join('|')})$`,
);

const marked = new WeakMap();

function withOwnCompiler(transformOptions) {
  const { config } = transformOptions;
  if (!marked.has(config)) marked.set(config, { ...config, id: `${config.id}:swagger-plugin` });
  return { ...transformOptions, config: marked.get(config) };
}

module.exports = {
  createTransformer() {
    const perFile = new TsJestTransformer({ tsconfig: 'tsconfig.json' });
    const withPlugin = new TsJestTransformer({
      tsconfig: { isolatedModules: false },
      // Type errors are for `npm run lint` and the build; 151002 says a full program emits
      // CommonJS (these files hold no `import()`).
      diagnostics: { exclude: ['**'], ignoreCodes: [151002] },
      astTransformers: {
        before: [{ path: require.resolve('./swagger-plugin.cjs'), options: swaggerPlugin.options }],
      },
    });
    const route = (path, options) =>
      pluginFiles.test(path) ? [withPlugin, withOwnCompiler(options)] : [perFile, options];
    return {
      canInstrument: perFile.canInstrument,
      getCacheKey: (source, path, options) => {
        const [tsJest, own] = route(path, options);
        return tsJest.getCacheKey(source, path, own);
      },
      getCacheKeyAsync: (source, path, options) => {
        const [tsJest, own] = route(path, options);
        return tsJest.getCacheKeyAsync(source, path, own);
      },
      process: (source, path, options) => {
        const [tsJest, own] = route(path, options);
        return tsJest.process(source, path, own);
      },
      processAsync: (source, path, options) => {
        const [tsJest, own] = route(path, options);
        return tsJest.processAsync(source, path, own);
      },
    };
  },
};

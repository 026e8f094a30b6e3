// `node --require ./scripts/ts-node-swagger-plugin.cjs script.ts`: ts-node, type-checking,
// with the @nestjs/swagger plugin applied as `nest build` applies it.
const { before, options } = require('./swagger-plugin.cjs');

require('ts-node').register({
  // tsconfig's files, so module augmentations (express's Request) are seen wherever they live
  files: true,
  transformers: (program) => ({ before: [before(options, program)] }),
});

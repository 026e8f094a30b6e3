import { loadConfig, readProcessEnvironment } from './src/config/app-config';
import { createDataSource } from './src/database/data-source.factory';

/** The DataSource the TypeORM CLI uses (`npm run migration:run`); the service builds the same one. */
export default createDataSource(loadConfig(readProcessEnvironment()));

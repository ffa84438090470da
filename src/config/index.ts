// The config library in one import: `import { loadConfig, type Config } from '../src/config/index.js'`.
export { DEFAULT_KEY_PREFIX, defaultConfig } from './defaults.js';
export { addRegion, editConfigFile, listedRegionNames, removeRegion } from './edit.js';
export { ENV_OVERRIDES, type EnvOverrides, parseKeysVariable, readEnvOverrides } from './env.js';
export {
  checkConfigFile,
  configFileToEdit,
  DEFAULT_CONFIG_FILE,
  type LoadedConfig,
  loadConfig,
  resolveConfigPath,
} from './load.js';
export { type ConfigProblem, formatProblem } from './problem.js';
export { configSchema, schemaPath } from './schema.js';
export { MIN_SECRET_LENGTH } from './semantic.js';
export { describeRedis, summarizeConfig } from './summary.js';
export type * from './types.js';
export { type ValidationResult, validateConfigText } from './validate.js';

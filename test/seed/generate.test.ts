import { describe, it, expect } from 'vitest';
import { Rng, mix32, permute8, seedKey } from '../../connectors/seed/prng.js';
import { makeContext, planTenant, type SeedContext } from '../../connectors/seed/context.js';
import { memberLine, memberProfile } from '../../connectors/seed/member-gen.js';
import { identityLines } from '../../connectors/seed/identity-gen.js';
import { orderLines } from '../../connectors/seed/order-gen.js';
import { eventLines } from '../../connectors/seed/event-gen.js';

const TENANT = '00000000-0000-4000-8000-000000000001';
const ratios = { ordersPerMember: 10, eventsPerMember: 30 };

function context(members: number, seed: number): SeedContext {
  return makeContext({ tenantId: TENANT, members, seed, now: new Date('2025-06-15T00:00:00Z'), ratios,
    memberIdBase: 1, orderIdBase: 1, eventIdBase: 1, plan: planTenant(members, seedKey(seed), ratios) });
}

describe('generator building blocks', () => {
  it('permute8 and mix32 never map two indexes to one value', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) seen.add(permute8(i, 0xdeadbeef));
    expect(seen.size).toBe(100_000);
    const mixed = new Set<number>();
    for (let i = 0; i < 100_000; i++) mixed.add(mix32(i));
    expect(mixed.size).toBe(100_000);
  });

  it('draws the same numbers for the same member and seed, different ones otherwise', () => {
    const draw = (key: number, index: number) => { const r = new Rng().forMember(key, 2, index); return [r.next(), r.next()]; };
    expect(draw(seedKey(1), 5)).toEqual(draw(seedKey(1), 5));
    expect(draw(seedKey(1), 5)).not.toEqual(draw(seedKey(1), 6));
    expect(draw(seedKey(1), 5)).not.toEqual(draw(seedKey(2), 5));
    expect(seedKey(2 ** 40 + 1)).not.toBe(seedKey(1));
  });

  it('gives 30,000 members unique phones, e-mails and channel ids', () => {
    const ctx = context(30_000, 9);
    const rng = new Rng();
    const side = new Rng();
    const values = new Map<string, Set<string>>();
    let rows = 0;
    for (let i = 0; i < ctx.members; i++) {
      const { text } = identityLines(side, ctx, memberProfile(rng, ctx, i));
      for (const line of text.split('\n').filter(Boolean)) {
        const [, kind, value] = line.split('\t');
        if (!values.has(kind)) values.set(kind, new Set());
        values.get(kind)!.add(value);
        rows++;
      }
    }
    expect([...values.values()].reduce((n, s) => n + s.size, 0)).toBe(rows);
    expect(values.get('PHONE')!.size).toBeGreaterThan(30_000 * 0.93);
  });

  it('writes each member the same way every time (pure function of seed and index)', () => {
    const ctx = context(50, 3);
    const once = (i: number) => {
      const p = memberProfile(new Rng(), ctx, i);
      const side = new Rng();
      return memberLine(ctx, p) + identityLines(side, ctx, p).text + orderLines(side, ctx, p).orders + eventLines(side, ctx, p).text;
    };
    for (let i = 0; i < 50; i++) expect(once(i)).toBe(once(i));
    expect(once(7)).not.toBe(once(8));
  });

  it('writes COPY text lines with the right number of columns', () => {
    const ctx = context(200, 4);
    const rng = new Rng();
    const side = new Rng();
    for (let i = 0; i < ctx.members; i++) {
      const p = memberProfile(rng, ctx, i);
      const cols = (text: string) => new Set(text.split('\n').filter(Boolean).map((l) => l.split('\t').length));
      expect(cols(memberLine(ctx, p))).toEqual(new Set([19]));
      const o = orderLines(side, ctx, p);
      if (o.orderRows) {
        expect(cols(o.orders)).toEqual(new Set([13]));
        expect(cols(o.items)).toEqual(new Set([9]));
      }
      const e = eventLines(side, ctx, p);
      if (e.rows) expect(cols(e.text)).toEqual(new Set([9]));
    }
  });
});

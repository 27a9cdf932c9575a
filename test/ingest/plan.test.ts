import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { planResolution, type KnownMember } from '../../connectors/identity/plan.js';
import { isStrong, keyString, type IdentityKey, type IdentityKind } from '../../connectors/identity/keys.js';

const k = (kind: IdentityKind, value: string): IdentityKey => ({ kind, value });
const known = (entries: Array<[IdentityKey, string, string]>) =>
  new Map<string, KnownMember>(entries.map(([key, id, at]) => [keyString(key), { memberId: id, registeredAt: new Date(at) }]));

describe('planResolution', () => {
  it('creates a member for an unknown strong identity and reuses it for later records of the batch', () => {
    const plan = planResolution([{ keys: [k('PHONE', '1')] }, { keys: [k('PHONE', '1'), k('WECHAT_OPENID', 'o')] }, { keys: [k('WECHAT_OPENID', 'o')] }], new Map());
    expect(plan.creates).toEqual([{ node: 'p:0', record: 0 }]);
    expect(plan.targets.map((t) => t && plan.root(t))).toEqual(['p:0', 'p:0', 'p:0']);
    expect(plan.links.map((l) => [keyString(l.key), l.record])).toEqual([['PHONE:1', 0], ['WECHAT_OPENID:o', 1]]);
    expect(plan.changed).toEqual([true, true, false]);
  });

  it('holds a record with only unknown weak identities', () => {
    const plan = planResolution([{ keys: [k('ANONYMOUS_ID', 'a'), k('TAOBAO_OUID', 't')] }], new Map());
    expect(plan.targets).toEqual([null]);
    expect(plan.links).toEqual([]);
  });

  it('merges stored members into the earliest registered one, whatever their ids', () => {
    const plan = planResolution([{ keys: [k('PHONE', '1'), k('EXTERNAL_ID', 'e')] }],
      known([[k('PHONE', '1'), '5', '2021-01-01'], [k('EXTERNAL_ID', 'e'), '9', '2020-01-01']]));
    expect(plan.merges).toEqual([{ survivorId: '9', mergedId: '5', record: 0 }]);
    expect(plan.root(plan.targets[0]!)).toBe('m:9');
  });

  it('attaches through a known weak identity but never merges through one', () => {
    const plan = planResolution([{ keys: [k('PHONE', '2'), k('WECHAT_OPENID', 'o')] }, { keys: [k('EMAIL', 'x@y.cn'), k('WECHAT_OPENID', 'o')] }],
      known([[k('PHONE', '2'), '1', '2020-01-01'], [k('WECHAT_OPENID', 'o'), '2', '2019-01-01']]));
    expect(plan.merges).toEqual([]);
    expect(plan.targets).toEqual(['m:1', 'm:2']);
    expect(plan.links.map((l) => [keyString(l.key), l.node])).toEqual([['EMAIL:x@y.cn', 'm:2']]);
  });

  it('chains merges within a batch so that every record ends at the oldest member', () => {
    const plan = planResolution([{ keys: [k('PHONE', 'b'), k('PHONE', 'c')] }, { keys: [k('PHONE', 'a'), k('PHONE', 'b')] }],
      known([[k('PHONE', 'a'), '1', '2020-01-01'], [k('PHONE', 'b'), '2', '2021-01-01'], [k('PHONE', 'c'), '3', '2022-01-01']]));
    expect(plan.merges.map((m) => [m.survivorId, m.mergedId])).toEqual([['2', '3'], ['1', '2']]);
    expect(plan.targets.map((t) => plan.root(t!))).toEqual(['m:1', 'm:1']);
  });

  it('property: records sharing a strong identity end at one member, and every strong identity has one owner', () => {
    const kinds: IdentityKind[] = ['PHONE', 'EXTERNAL_ID', 'WECHAT_OPENID', 'ANONYMOUS_ID'];
    const key = fc.record({ kind: fc.constantFrom(...kinds), value: fc.constantFrom('1', '2', '3', '4') });
    fc.assert(fc.property(
      fc.array(fc.record({ keys: fc.uniqueArray(key, { minLength: 1, maxLength: 3, selector: keyString }) }), { maxLength: 12 }),
      fc.uniqueArray(fc.tuple(key, fc.integer({ min: 1, max: 5 })), { maxLength: 6, selector: ([kk]) => keyString(kk) }),
      (records, stored) => {
        const plan = planResolution(records, known(stored.map(([kk, m]) => [kk, String(m), `202${m}-01-01`])));
        const owner = new Map<string, string>();
        for (const [kk, m] of stored) owner.set(keyString(kk), plan.root(`m:${m}`));
        for (const l of plan.links) owner.set(keyString(l.key), plan.root(l.node));
        records.forEach((r, i) => {
          const t = plan.targets[i];
          const strong = r.keys.filter(isStrong);
          if (t === null) {
            expect(strong).toEqual([]);
            return;
          }
          for (const s of strong) expect(owner.get(keyString(s))).toBe(plan.root(t));
        });
        // a merged member never survives another merge as a root
        for (const m of plan.merges) expect(plan.root(`m:${m.mergedId}`)).not.toBe(`m:${m.mergedId}`);
      },
    ), { numRuns: 300 });
  });
});

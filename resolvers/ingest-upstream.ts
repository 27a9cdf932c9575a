import { builder } from './builder.js';
import { tenantOf } from './guards.js';
import { MemberRef } from './member.js';
import { safeError, ErrorCode } from '../gateway/errors.js';
import { couponBalance, couponSource } from '../connectors/upstream/coupon.js';
import { UpstreamError } from '../connectors/upstream/http-source.js';

builder.objectField(MemberRef, 'couponBalance', (t) =>
  t.float({
    nullable: true,
    description: 'CNY, read live from the coupon service (never stored); null when the member has no coupon account, '
      + 'and null with an error in the response when the service is unavailable (the rest of the query still answers)',
    resolve: async (m, _a, ctx) => {
      const source = couponSource();
      if (!source) return null;
      try {
        return await couponBalance(source, tenantOf(ctx), m.member_id);
      } catch (err) {
        // the contract's codes have no "upstream" code: INTERNAL_SERVER_ERROR, with the reason in the log line
        if (err instanceof UpstreamError) throw safeError(ErrorCode.INTERNAL_SERVER_ERROR, err.message, { upstream: err.source });
        throw err;
      }
    },
  }),
);

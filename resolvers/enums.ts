import { builder } from './builder.js';

/** Channels of data-model.md; stored lower-case in the database and the DSL. */
export const CHANNELS = ['TMALL', 'TAOBAO', 'JD', 'PDD', 'VIP', 'DOUYIN', 'WECHAT_MP', 'APP', 'WEB', 'POS'] as const;
export const IDENTITY_KINDS = ['PHONE', 'EMAIL', 'WECHAT_UNIONID', 'WECHAT_OPENID', 'TAOBAO_OUID', 'JD_PIN', 'PDD_UID',
  'DOUYIN_OPENID', 'POS_CARD', 'APP_USER_ID', 'ANONYMOUS_ID', 'EXTERNAL_ID'] as const;
export const ORDER_STATUSES = ['CREATED', 'PAID', 'SHIPPED', 'COMPLETED', 'REFUNDED', 'CANCELLED'] as const;

export const ChannelEnum = builder.enumType('Channel', { values: CHANNELS });
export const IdentityKindEnum = builder.enumType('IdentityKind', { values: IDENTITY_KINDS });
export const OrderStatusEnum = builder.enumType('OrderStatus', { values: ORDER_STATUSES });
export const GenderEnum = builder.enumType('Gender', { values: ['M', 'F', 'U'] as const });
export const AudienceChangeKindEnum = builder.enumType('AudienceChangeKind', { values: ['ENTERED', 'EXITED', 'MERGED'] as const });

/** `wechat_mp` → `WECHAT_MP`; unknown stored values are passed through upper-cased. */
export const channelToEnum = (c: string | null) => (c === null ? null : (c.toUpperCase() as (typeof CHANNELS)[number]));
export const channelFromEnum = (c: string) => c.toLowerCase();

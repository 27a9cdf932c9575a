import { withTenant, type Pools } from '../store/pool.js';
import { defineTag, publishTag } from './lifecycle.js';
import { defineAudience } from '../audiences/lifecycle.js';
import { queueJob, type JobRow } from '../refresh/jobs.js';
import { runUntilFinished } from '../refresh/full-refresh.js';

/** The tag-dsl.md examples as the demo tenant has them, in dependency order, with categories added. */
export const DEMO_TAGS: readonly string[] = [
  `tag high_value: boolean
  label "高价值客户"
  category "消费属性/价值"
  = sum(orders.amount where status in ["paid", "completed"] within 365 days) >= 5000`,
  `tag lifecycle: enum("new", "normal", "member", "super", "churned")
  label "生命周期"
  category "行为属性/生命周期"
  = case
      when count(orders) = 0 then "new"
      when days_since(last(orders.created_at)) > 180 then "churned"
      when tag.high_value then "super"
      when level >= 1 then "member"
      else "normal"
    end`,
  `tag rfm_r: number label "RFM 最近购买" category "消费属性/RFM"
  = quintile(days_since(last(orders.created_at)) desc)   -- recent buyers score 5`,
  `tag rfm_f: number label "RFM 购买频次" category "消费属性/RFM"
  = quintile(count(orders within 365 days))`,
  `tag rfm_m: number label "RFM 消费金额" category "消费属性/RFM"
  = quintile(sum(orders.amount within 365 days))`,
  `tag rfm_segment: enum("champion", "loyal", "at_risk", "hibernating", "other")
  label "RFM 分层"
  category "消费属性/RFM"
  = case
      when tag.rfm_r >= 4 and tag.rfm_f >= 4 and tag.rfm_m >= 4 then "champion"
      when tag.rfm_f >= 4 then "loyal"
      when tag.rfm_r <= 2 and tag.rfm_m >= 4 then "at_risk"
      when tag.rfm_r <= 2 and tag.rfm_f <= 2 then "hibernating"
      else "other"
    end`,
];

/** The demo audiences (tag-dsl.md). */
export const DEMO_AUDIENCES: readonly string[] = [
  `audience churn_recall
  label "流失召回"
  = tag.lifecycle = "churned" and phone is not null`,
];

/**
 * Defines and publishes the demo tags and audiences in the tenant (one transaction; a definition
 * already there with the same source is left as it is), then runs one full refresh ('all') to the
 * end in this process, so the tenant's tags and audiences are materialised when this resolves.
 * Returns the finished job (state 'succeeded' unless a definition failed; its error says which).
 */
export async function installDemoDefinitions(pools: Pools, tenantId: string): Promise<JobRow> {
  const queued = await withTenant(pools.app, tenantId, async (db) => {
    for (const source of DEMO_TAGS) {
      const { name } = await defineTag(db, tenantId, source, 'demo');
      const state = await db.query<{ current: boolean }>(
        `select published_version = current_version and status = 'published' as current from tag_definitions where tenant_id = $1 and name = $2`,
        [tenantId, name]);
      if (!state.rows[0].current) await publishTag(db, tenantId, name, 'demo', { queueRefresh: false });
    }
    for (const source of DEMO_AUDIENCES) await defineAudience(db, tenantId, source, 'demo', { queueRefresh: false });
    return queueJob(db, tenantId, 'all', 'demo');
  });
  return runUntilFinished(pools.app, tenantId, queued.job_id, { maintenance: pools.admin });
}

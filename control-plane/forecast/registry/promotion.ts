/**
 * Champion/challenger: a challenger replaces the champion only when it is better on the same
 * recent holdout window, by a margin (noise in a short window must not churn models).
 */
export interface PromotionRule {
  /** Relative improvement in holdout loss required (0.01 = 1 % lower). */
  minImprovement: number;
  /** Fewest holdout rows for a decision; fewer and nothing is promoted. */
  minHoldoutRows: number;
}

export const DEFAULT_PROMOTION: PromotionRule = { minImprovement: 0.01, minHoldoutRows: 200 };

export interface HoldoutScore {
  /** Mean pinball loss over the holdout (normalised units), lower is better. */
  champion: number;
  challenger: number;
  rows: number;
}

export interface PromotionDecision {
  promote: boolean;
  reason: string;
}

export function decidePromotion(s: HoldoutScore, rule: PromotionRule = DEFAULT_PROMOTION): PromotionDecision {
  const fmt = (x: number) => x.toFixed(4);
  if (!Number.isFinite(s.challenger)) return { promote: false, reason: `challenger loss is ${s.challenger}` };
  if (s.rows < rule.minHoldoutRows)
    return { promote: false, reason: `holdout has ${s.rows} rows, fewer than ${rule.minHoldoutRows}` };
  if (!Number.isFinite(s.champion))
    return {
      promote: true,
      reason: `champion cannot be scored (${s.champion}); challenger ${fmt(s.challenger)}`,
    };
  const bar = s.champion * (1 - rule.minImprovement);
  if (s.challenger < bar)
    return {
      promote: true,
      reason: `challenger ${fmt(s.challenger)} < champion ${fmt(s.champion)} by ${(100 * (1 - s.challenger / s.champion)).toFixed(1)} %`,
    };
  return {
    promote: false,
    reason: `challenger ${fmt(s.challenger)} is not ${(100 * rule.minImprovement).toFixed(1)} % better than champion ${fmt(s.champion)}`,
  };
}

/** A user (tenant, function, app) and what the control plane knows about them. */
export interface UserContext {
  /** e.g. "mobile", "desktop", "iot". */
  device?: string;
  /** e.g. "wifi", "5g", "4g", "3g". */
  network?: string;
  /** 0 (unusable) .. 1 (excellent). */
  networkQuality?: number;
  /** Region or coarse location, e.g. "eu-west". */
  location?: string;
}

export interface UserProfile {
  user: string;
  /** Tier name from the policy (gold, silver, free, ...). */
  tier: string;
  preferences?: Record<string, string>;
  context?: UserContext;
  updatedAtMs: number;
}

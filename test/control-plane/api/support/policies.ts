/** Small valid policies in the allocator's schema (control-plane/allocate/policy-schema.ts). */
export const tier = (quantile: number, priority: number) => ({ quantile, priority });

const CLASSES = {
  small: { capacity: { slots: 100, cpuMillicores: 4000, memoryMb: 8192, bandwidthKbps: 100_000 } },
};

export function policy(
  tiers: Record<string, ReturnType<typeof tier>> = { gold: tier(0.99, 100), free: tier(0.5, 10) },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { tiers, instanceClasses: CLASSES, ...extra };
}

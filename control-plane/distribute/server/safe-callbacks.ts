/** Wraps observation hooks so a hook that throws is logged and never breaks a stream. */
import type { DistributionCallbacks } from '../callbacks';
import type { Logger } from '../logger';

export function safeCallbacks(cb: DistributionCallbacks, logger: Logger): DistributionCallbacks {
  const out: DistributionCallbacks = {};
  for (const key of Object.keys(cb) as (keyof DistributionCallbacks)[]) {
    const fn = cb[key] as ((...args: unknown[]) => void) | undefined;
    if (typeof fn !== 'function') continue;
    (out as Record<string, unknown>)[key] = (...args: unknown[]) => {
      try {
        fn.apply(cb, args);
      } catch (err) {
        logger.error('a distribution callback threw; ignored', {
          callback: key,
          error: (err as Error).message,
        });
      }
    };
  }
  return out;
}

import type { ResolvedOptions } from "../functions/options.js";

/**
 * The wait after failed attempt `attempt` (1-based) before the next one:
 * `min(maxDelayMs, initialDelayMs * backoffFactor ** (attempt - 1) * uniform(0.5, 1))`,
 * where `uniform` comes from `random` (clamped to [0, 1] so a bad source cannot yield NaN).
 */
export function retryDelay(options: ResolvedOptions, attempt: number, random: number): number {
  const unit = random >= 0 && random <= 1 ? random : random > 1 ? 1 : 0;
  const jitter = 0.5 + 0.5 * unit;
  if (options.initialDelayMs === 0) return 0;
  return Math.min(
    options.maxDelayMs,
    options.initialDelayMs * options.backoffFactor ** (attempt - 1) * jitter,
  );
}

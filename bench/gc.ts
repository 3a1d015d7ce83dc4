import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * A full-GC function: `globalThis.gc` under `node --expose-gc`, else obtained by setting the
 * flag at run time (a fresh vm context then sees `gc`), else undefined.
 */
export const forceGc: (() => void) | undefined = (() => {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  try {
    setFlagsFromString("--expose-gc");
    const fn: unknown = runInNewContext("gc");
    return typeof fn === "function" ? () => void fn() : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * One abort listener per signal, however many runs watch it. Node's `EventTarget` adds and
 * removes listeners in time linear in their number (and warns past ten), so a listener per run
 * would make thousands of concurrent runs sharing one signal quadratic; here each run joins or
 * leaves a set in constant time.
 */
interface Watch {
  readonly listener: () => void;
  readonly runs: Set<() => void>;
}

const watches = new WeakMap<AbortSignal, Watch>();

/** Calls `onAbort` when `signal` aborts, until {@link unwatchAbort}. */
export function watchAbort(signal: AbortSignal, onAbort: () => void): void {
  let watch = watches.get(signal);
  if (watch === undefined) {
    const runs = new Set<() => void>();
    const listener = (): void => {
      watches.delete(signal);
      signal.removeEventListener("abort", listener);
      // A run may leave the set while it handles the abort: call the ones watching now.
      for (const run of [...runs]) run();
    };
    watch = { listener, runs };
    watches.set(signal, watch);
    signal.addEventListener("abort", listener);
  }
  watch.runs.add(onAbort);
}

/** Stops calling `onAbort`; removes the signal's listener when nobody watches it any more. */
export function unwatchAbort(signal: AbortSignal, onAbort: () => void): void {
  const watch = watches.get(signal);
  if (watch === undefined) return;
  watch.runs.delete(onAbort);
  if (watch.runs.size === 0) {
    watches.delete(signal);
    signal.removeEventListener("abort", watch.listener);
  }
}

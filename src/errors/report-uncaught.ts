/**
 * Rethrows an error that belongs to no phase (a throwing `onEvent` listener, a clock that
 * throws where nothing is left to fail) as an uncaught exception, as an `EventTarget`
 * listener's error is: never swallowed, and never thrown into the engine.
 */
export function reportUncaught(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/**
 * The reason the explorer aborts a run that can no longer move on its own: every function
 * still running waits for a cancellation nothing would send (an injected hang that no failure
 * cancelled), as a caller giving up would. A stalled run rejects with it as the error's `cause`.
 */
export class StalledRunError extends Error {
  /** Always `"StalledRunError"`. */
  override readonly name = "StalledRunError";
}

/** One broken rule found in one run. */
export interface Violation {
  /** A spec invariant id (`INV-n`), or `LIVENESS` for a run that never settled. */
  readonly invariant: string;
  /** Who found it: the library's `checkTrace`, the runner's own checks, or the outcome oracle. */
  readonly source: "checkTrace" | "direct" | "oracle";
  readonly message: string;
}

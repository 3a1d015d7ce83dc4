/**
 * `value instanceof AggregateError`, never throwing (`instanceof` throws for a revoked `Proxy`
 * and runs a `Proxy`'s `getPrototypeOf` trap).
 */
export function isAggregateError(value: unknown): value is AggregateError {
  if (typeof value !== "object" || value === null) return false;
  try {
    return value instanceof AggregateError;
  } catch {
    return false;
  }
}

/**
 * A snapshot of an aggregate's `errors`, or `undefined` when they cannot be read: `errors`
 * throws, is not an array, or reading its length or an element throws. Never throws.
 */
export function errorsOf(aggregate: AggregateError): unknown[] | undefined {
  try {
    const errors: unknown = aggregate.errors;
    if (!Array.isArray(errors)) return undefined;
    const length = errors.length;
    const snapshot: unknown[] = [];
    for (let i = 0; i < length; i++) snapshot.push(errors[i]);
    return snapshot;
  } catch {
    return undefined;
  }
}

/**
 * The errors of an aggregate to expand, or `undefined` for a leaf: not an `AggregateError`,
 * `errors` unreadable (see {@link errorsOf}), or no errors at all (an empty aggregate is a
 * leaf).
 */
function childrenOf(value: unknown): unknown[] | undefined {
  if (!isAggregateError(value)) return undefined;
  const children = errorsOf(value);
  return children === undefined || children.length === 0 ? undefined : children;
}

/**
 * Appends the leaves of each of `roots` to `leaves`, depth first and in order, expanding each
 * aggregate at most once (those in `expanded` are skipped). A root that gives no leaf at all
 * (an aggregate holding only itself, or only a cycle of aggregates) is a leaf itself, so a
 * failure is never flattened to nothing.
 */
export function flattenInto(
  roots: readonly unknown[],
  expanded: Set<unknown>,
  leaves: unknown[],
): unknown[] {
  const stack: unknown[] = [];
  for (const root of roots) {
    if (expanded.has(root)) continue;
    const before = leaves.length;
    stack.push(root);
    while (stack.length > 0) {
      const error = stack.pop();
      if (expanded.has(error)) continue;
      const children = childrenOf(error);
      if (children === undefined) {
        leaves.push(error);
        continue;
      }
      expanded.add(error);
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    }
    if (leaves.length === before) leaves.push(root);
  }
  return leaves;
}

/**
 * The leaf errors of a thrown value (`spec/task-functions.md` section 7.3): an
 * `AggregateError`'s `errors` (an `SdaxExecutionError`'s included), recursively, depth first
 * and in order; any other value is its own single leaf. The counterpart of Python sdax's
 * `flatten_exceptions`.
 *
 * - Cycle-safe: each aggregate is expanded once, the first time it is met, so one that
 *   contains itself (directly or through others), or appears twice, contributes its leaves
 *   once. Leaves themselves are not deduplicated.
 * - An empty `AggregateError` is a leaf itself (it stands for a failure with no detail), and so
 *   is an aggregate that gives no leaf at all (one that holds only itself, or a cycle).
 * - Never throws: an aggregate whose `errors` cannot be read, or is not an array, is a leaf;
 *   so is a revoked `Proxy`.
 *
 * @example
 * const timeout = new TaskTimeoutError("fetch", "execute", 1, 500);
 * const inner = new AggregateError([timeout, "boom"]);
 * flattenErrors(new AggregateError([inner, new Error("x")]));
 * // [timeout, "boom", Error("x")]
 * flattenErrors(new Error("alone")); // [Error("alone")]
 */
export function flattenErrors(error: unknown): unknown[] {
  return flattenInto([error], new Set(), []);
}

/** A persistent list cell: builders share their past, so adding is O(1) and never copies. */
export interface Link<V> {
  readonly value: V;
  readonly previous: Link<V> | undefined;
}

/** The values from first added to last. */
export function listOf<V>(last: Link<V> | undefined): V[] {
  const values: V[] = [];
  for (let at = last; at !== undefined; at = at.previous) values.push(at.value);
  return values.reverse();
}

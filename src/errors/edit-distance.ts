/**
 * Levenshtein distance: the fewest characters to insert, delete or replace to make `b` from
 * `a`, for "did you mean" hints. Stops once every way is at least `limit` edits long and
 * returns `limit` then: a hint looks only for near names, and a far one costs no more than
 * it must.
 */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      const d = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
      current.push(d);
      if (d < rowMin) rowMin = d;
    }
    if (rowMin >= limit) return limit;
    previous = current;
  }
  return Math.min(previous[b.length]!, limit);
}

/**
 * The first of `names` nearest to `word`, letter case aside, at fewer than `within` edits; or
 * undefined. `within` 1 asks for the same letters in another case only, and compares no
 * further: a long name costs one comparison.
 */
export function nearestName(
  word: string,
  names: Iterable<string>,
  within: number,
): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bound = within;
  for (const name of names) {
    const other = name.toLowerCase();
    const distance = other === lower ? 0 : bound <= 1 ? bound : editDistance(lower, other, bound);
    if (distance < bound) {
      best = name;
      bound = distance;
      if (distance === 0) break;
    }
  }
  return best;
}

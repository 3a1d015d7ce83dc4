/**
 * Error classes are branded with a registered symbol so `isX()` guards recognise them across
 * two copies of the package (a dependency of a dependency), where `instanceof` fails.
 * Never throws: a value whose brand cannot be read (a revoked `Proxy`, a throwing trap) is
 * not branded (`spec/lifecycle.md` INV-33).
 */
export function hasBrand(value: unknown, brand: symbol): boolean {
  if (typeof value !== "object" || value === null) return false;
  try {
    return (value as Record<symbol, unknown>)[brand] === true;
  } catch {
    return false;
  }
}

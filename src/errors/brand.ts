/**
 * Error classes are branded with a registered symbol so `isX()` guards recognise them across
 * two copies of the package (a dependency of a dependency), where `instanceof` fails.
 */
export function hasBrand(value: unknown, brand: symbol): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[brand] === true
  );
}

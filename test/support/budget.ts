/**
 * Test budgets. The default keeps `npm test` fast; `SDAX_TEST_BUDGET=long` runs the large
 * property and exhaustive suites (minutes, not seconds).
 */
export const LONG = process.env.SDAX_TEST_BUDGET === "long";

/** `short` runs by default, `long` with SDAX_TEST_BUDGET=long. */
export function budget(short: number, long: number): number {
  return LONG ? long : short;
}

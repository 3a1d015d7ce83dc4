/**
 * What a documentation example gets when it imports "@fast-check/vitest": `test.prop(arbs)(name,
 * body)` collects a test that checks the property with fast-check, like the real one.
 */
import fc from "fast-check";
import { it } from "./vitest.js";

export { fc };

type Body = (...values: never[]) => unknown;

function prop(arbitraries: readonly fc.Arbitrary<unknown>[]) {
  return (name: string, body: Body): void => {
    it(name, () =>
      fc.assert(
        fc.asyncProperty(
          ...(arbitraries as [fc.Arbitrary<unknown>]),
          async (...values: unknown[]) => {
            await (body as (...v: unknown[]) => unknown)(...values);
          },
        ),
      ),
    );
  };
}

export const test = Object.assign(it, { prop });

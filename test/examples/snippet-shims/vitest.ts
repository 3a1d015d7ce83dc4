/**
 * What a documentation example gets when it imports "vitest": `it` and `test` collect the test
 * instead of registering it, so the snippet runner (doc-snippets.test.ts) can run its body
 * inside its own test; `expect` is vitest's own.
 */
export { expect } from "vitest";

type Body = () => unknown;

const collected: { name: string; body: Body }[] = [];

/** Removes and returns the tests collected since the last call. */
export function takeCollected(): { name: string; body: Body }[] {
  return collected.splice(0);
}

export function it(name: string, body: Body): void {
  collected.push({ name, body });
}

export const test = it;

export function describe(_name: string, body: () => void): void {
  body();
}

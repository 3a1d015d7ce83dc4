/**
 * A runtime without `Symbol.asyncDispose` (an older browser): a bundler lowers `await using`
 * to code that looks the method up under `Symbol.for("Symbol.asyncDispose")` there. The
 * library is bundled with esbuild, as for a page, and run in a fresh realm, which has no
 * `Symbol.asyncDispose` (Node defines one only in its main realm).
 */
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { build } from "esbuild";
import { expect, it } from "vitest";

const entry = `
import { AsyncTaskProcessor, task } from "./src/index.ts";
export async function main(log) {
  log("Symbol.asyncDispose: " + typeof Symbol.asyncDispose);
  const processor = AsyncTaskProcessor.builder()
    .addTask(task("db", { preExecute: () => {}, execute: () => {}, postExecute: () => log("db released") }), 1)
    .build();
  log("keyed undefined: " + ("undefined" in Object.getPrototypeOf(processor.open({}))));
  {
    await using runner = processor.open({});
    await runner.runNext();
    log("block ends after " + runner.lastPhase);
  }
  log("after the block");
}
`;

it("await using closes a runner where the runtime has no Symbol.asyncDispose (PR-8)", async () => {
  const bundled = await build({
    stdin: { contents: entry, resolveDir: fileURLToPath(new URL("../..", import.meta.url)) },
    bundle: true,
    write: false,
    format: "iife",
    globalName: "entry",
    platform: "browser",
    target: "es2022", // lowers `await using`
    logLevel: "silent",
  });
  const realm = vm.createContext({
    queueMicrotask,
    setTimeout,
    clearTimeout,
    AbortController,
    AbortSignal,
    EventTarget,
    Event,
    DOMException,
    performance,
  });
  vm.runInContext(bundled.outputFiles[0]!.text, realm);
  const lines: string[] = [];
  await vm.runInContext("entry.main", realm)((line: string) => lines.push(line));
  expect(lines).toEqual([
    "Symbol.asyncDispose: undefined",
    "keyed undefined: false",
    "block ends after preExecute",
    "db released",
    "after the block",
  ]);
});

/**
 * The committed corpus of model traces: 1,000 traces of spec/lifecycle.qnt simulated from a
 * fixed seed (`npx tsx scripts/spec-check.ts --write-corpus` rewrites it), gzipped JSON.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

import type { Trace } from "./trace.js";

/** Where the corpus lives. */
export const CORPUS_PATH = fileURLToPath(new URL("corpus.json.gz", import.meta.url));

/** Every trace of the corpus. */
export function readCorpus(): Trace[] {
  return JSON.parse(gunzipSync(readFileSync(CORPUS_PATH)).toString("utf8")) as Trace[];
}

import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

/**
 * The engine keeps one idle run and idle attempts (a light one and a full one) alive (src/scheduler/shape-anchor.ts) so
 * that V8 never collects their object layouts and throws away the engine's optimised code. That
 * only works while every run and attempt keeps the anchor's layout: a field that starts as an
 * integer and later holds a fraction (a start time of `0`, then `performance.now()`) would
 * give later runs a new layout the anchor does not hold. V8 answers that question only under
 * `--allow-natives-syntax`, hence the child process.
 */
describe("engine object layouts", () => {
  it("every run and attempt, whatever its options and outcome, has the shape anchor's layout", () => {
    const r = spawnSync(
      process.execPath,
      ["--allow-natives-syntax", "--import", "tsx", "test/support/engine-shapes-probe.ts"],
      { encoding: "utf8" },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout.trim()) as {
      anchorState: string;
      anchorFailures: number;
      anchorEvents: number;
      lightAttempts: number;
      promoted: number;
      attempts: number;
      attemptsSharingTheMap: number;
      runs: number;
      runsSharingTheMap: number;
    };
    // The anchor's own run settled before the first processor was returned, with b's failure.
    expect(result.anchorState).toBe("settled");
    expect(result.anchorFailures).toBe(1);
    expect(result.anchorEvents).toBeGreaterThan(20);
    expect(result.runs).toBe(7);
    expect(result.runsSharingTheMap).toBe(result.runs);
    expect(result.attempts).toBeGreaterThanOrEqual(20);
    // Light attempts that stayed light, light ones a full attempt took over, and full ones.
    expect(result.lightAttempts).toBeGreaterThan(result.promoted);
    expect(result.promoted).toBeGreaterThanOrEqual(5);
    expect(result.attempts - result.lightAttempts).toBeGreaterThan(result.promoted);
    expect(result.attemptsSharingTheMap).toBe(result.attempts);
  });
});

/**
 * docs/pictures: the Mermaid texts committed beside the SVGs are what sdax makes today for the
 * demo's failing run, so the pictures in docs/observability.md cannot go stale unnoticed.
 * `npm run pictures` (scripts/render-pictures.ts) writes both again.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { demoCharts } from "../../scripts/render-pictures.js";

const pictures = new URL("../../docs/pictures/", import.meta.url);

describe("docs/pictures", () => {
  it("each .mmd is the chart sdax makes now, and its .svg is a Mermaid drawing of that kind", async () => {
    const charts = await demoCharts();
    expect(Object.keys(charts)).toEqual(["demo-flowchart", "demo-gantt", "demo-graph-flowchart"]);
    for (const [name, text] of Object.entries(charts)) {
      expect(readFileSync(new URL(`${name}.mmd`, pictures), "utf8"), name).toBe(text);
      const svg = readFileSync(new URL(`${name}.svg`, pictures), "utf8");
      expect(svg.startsWith("<svg "), name).toBe(true);
      const kind = name === "demo-gantt" ? "gantt" : "flowchart-v2";
      expect(svg).toContain(`aria-roledescription="${kind}"`);
    }
  });
});

/** Helpers shared by the package scripts (bundle size, browser check, consumer types, pack). */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The repository root, with a trailing slash. */
export const root = fileURLToPath(new URL("..", import.meta.url));

/** Runs a command, its output passed through; throws on a non-zero exit. */
export function run(command: string, args: readonly string[], cwd = root): void {
  console.log(`$ ${[command, ...args].join(" ")}`);
  execFileSync(command, args, { cwd, stdio: "inherit" });
}

/** Runs a command and returns what it printed on stdout; throws on a non-zero exit. */
export function output(command: string, args: readonly string[], cwd = root): string {
  return execFileSync(command, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
}

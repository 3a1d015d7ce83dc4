import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { instrument } from "../../src/otel/index.js";
import type { Impl } from "./impl.js";
import { buildProcessor } from "./sdax.js";

let contextManagerSet = false;

/**
 * The context manager a Node service has (the Node SDK registers this one), so that
 * `context.with` does what it does in production: set once per process.
 */
function useContextManager(): void {
  if (contextManagerSet) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  contextManagerSet = true;
}

/**
 * sdax traced by `sdax/otel`: a real SDK provider (spans recorded, sampled, ended) with no
 * span processor, so the cost measured is the tracing's and the SDK's, not an exporter's.
 * The processor is built and instrumented once; `processTasks(ctx)` is timed.
 */
export const sdaxTraced: Impl = {
  name: "sdax-traced",
  prepare(w) {
    useContextManager();
    const tracer = new BasicTracerProvider().getTracer("bench");
    const traced = instrument(buildProcessor(w), { tracer });
    return (ctx) => traced.processTasks(ctx);
  },
};

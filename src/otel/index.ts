/**
 * sdax/otel: OpenTelemetry tracing for sdax processors. `@opentelemetry/api` is an optional
 * peer dependency of sdax, needed only by this entry point.
 *
 * @example
 * import { instrument } from "sdax/otel";
 *
 * const traced = instrument(processor);
 * await traced.processTasks(ctx);
 * @packageDocumentation
 */

export { SDAX_ATTRIBUTES, SDAX_EVENTS } from "./attributes.js";
export type { InstrumentOptions } from "./instrument.js";
export { instrument, TracedProcessor } from "./instrument.js";

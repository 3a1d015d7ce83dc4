/**
 * The OpenTelemetry SDK as the tests of `sdax/otel` use it: an in-memory exporter fed span by
 * span, an async-hooks context manager (as the Node SDK registers), and lookups on the spans.
 */
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type Span,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach } from "vitest";

export const exporter = new InMemorySpanExporter();

/** Spans started and not yet ended: a span never ended is never exported. */
export const openSpans = new Set<Span | ReadableSpan>();
const openSpanTracker: SpanProcessor = {
  onStart: (span) => {
    openSpans.add(span);
  },
  onEnd: (span) => {
    openSpans.delete(span);
  },
  forceFlush: async () => {},
  shutdown: async () => {},
};

const provider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(exporter), openSpanTracker],
});
export const tracer = provider.getTracer("sdax-tests");

/** Registers the context manager for the file's tests and empties the exporter before each. */
export function useTracing(): void {
  beforeAll(() => {
    const manager = new AsyncLocalStorageContextManager();
    manager.enable();
    context.setGlobalContextManager(manager);
  });
  afterAll(() => {
    context.disable();
  });
  beforeEach(() => {
    exporter.reset();
    openSpans.clear();
  });
}

/** Every span ended so far. */
export function spans(): ReadableSpan[] {
  return exporter.getFinishedSpans();
}

/** The one ended span named `name`; fails if there is none or more than one. */
export function span(name: string): ReadableSpan {
  const found = spans().filter((s) => s.name === name);
  if (found.length !== 1) {
    throw new Error(
      `expected one span named "${name}", found ${found.length} among: ${spans()
        .map((s) => s.name)
        .join(", ")}`,
    );
  }
  return found[0]!;
}

/** True when `child`'s parent is `parent`, in the same trace. */
export function isChildOf(child: ReadableSpan, parent: ReadableSpan): boolean {
  return (
    child.parentSpanContext?.spanId === parent.spanContext().spanId &&
    child.spanContext().traceId === parent.spanContext().traceId
  );
}

/** The span's events' names, in order. */
export function eventNames(s: ReadableSpan): string[] {
  return s.events.map((e) => e.name);
}

/**
 * The API server: `GET /profile` runs the workflow once, with a context of its own and a signal
 * that aborts when the client disconnects, and maps the run's outcome to a status.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AsyncTaskProcessor } from "../../src/index.js";
import { type RequestContext, statusFor } from "./workflow.js";

/** What became of one request. `status` 499: the client went away, nothing was sent. */
export interface Outcome {
  readonly requestId: string;
  readonly status: number;
  readonly ms: number;
}

export interface ApiServerOptions {
  /** Called once per request, when its run has settled (cleanup included). */
  readonly onOutcome?: ((outcome: Outcome) => void) | undefined;
}

export function createApiServer(
  processor: AsyncTaskProcessor<RequestContext>,
  options: ApiServerOptions = {},
): Server {
  let nextId = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "GET" || req.url !== "/profile") {
      sendJson(res, 404, { error: "try GET /profile" });
      return;
    }
    const started = performance.now();
    const header = req.headers["x-request-id"];
    const requestId = typeof header === "string" ? header : `req-${++nextId}`;

    // The client's disconnect cancels the run: every running task's scope.signal aborts.
    const controller = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) controller.abort(new Error("the client closed the connection"));
    };
    req.once("close", onClose);
    res.once("close", onClose);

    const ctx: RequestContext = { requestId };
    let status: number;
    let body: unknown;
    try {
      await processor.processTasks(ctx, { signal: controller.signal });
      status = 200;
      body = { requestId, user: ctx.user, data: ctx.data };
    } catch (error) {
      status = statusFor(error);
      body = { requestId, error: error instanceof Error ? error.message : String(error) };
      if (status === 500) console.error(error);
    }
    // Every postExecute has run by now: the connection is back in the pool before we answer.
    if (!res.destroyed) sendJson(res, status, body);
    options.onOutcome?.({ requestId, status, ms: performance.now() - started });
  }

  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error(error); // a bug in this file, or in onOutcome
      res.destroy();
    });
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

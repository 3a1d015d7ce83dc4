/**
 * The upstream service the API server calls: `GET /auth` checks the caller, `GET /data` returns
 * its data. How it answers each call is up to a {@link Plan}, given the endpoint, the request id
 * and the attempt number the API server forwards (`x-request-id`, `x-attempt`): so a test can
 * make it fail, hang or be slow, deterministically, for chosen requests.
 *
 * It counts the requests it is serving. A hanging request waits until its client goes away, so
 * `inFlight` drops back to 0 only if every caller really aborted what it started.
 */
import { createServer, type ServerResponse } from "node:http";
import { close, listen } from "./listen.js";

export type Endpoint = "auth" | "data";

/** How the upstream answers one call. */
export type Behaviour =
  | "ok" // 200 at once
  | "slow" // 200 after `slowMs`
  | "hang" // never answers: waits until the caller closes the connection
  | "unauthorized" // 401
  | "error"; // 500

export type Plan = (endpoint: Endpoint, requestId: string, attempt: number) => Behaviour;

export interface UpstreamOptions {
  /** Delay of a "slow" answer. @default 20 */
  readonly slowMs?: number;
  /** Called as each call arrives, with how it will be answered. */
  readonly onRequest?:
    | ((endpoint: Endpoint, requestId: string, behaviour: Behaviour) => void)
    | undefined;
}

export interface UpstreamStats {
  /** Calls received. */
  requests: number;
  /** Calls not yet finished: answered, or closed by the caller. */
  inFlight: number;
  peakInFlight: number;
  /** Calls the caller closed before the answer was sent. */
  aborted: number;
}

export interface Upstream {
  readonly url: string;
  readonly stats: Readonly<UpstreamStats>;
  /** Resolves once no call is in flight. */
  drained(): Promise<void>;
  close(): Promise<void>;
}

export async function startUpstream(plan: Plan, options: UpstreamOptions = {}): Promise<Upstream> {
  const slowMs = options.slowMs ?? 20;
  const stats: UpstreamStats = { requests: 0, inFlight: 0, peakInFlight: 0, aborted: 0 };
  let onDrained: (() => void)[] = [];

  const server = createServer((req, res) => {
    const endpoint = new URL(req.url ?? "/", "http://upstream").pathname.slice(1);
    if (endpoint !== "auth" && endpoint !== "data") {
      res.writeHead(404).end();
      return;
    }
    const requestId = String(req.headers["x-request-id"] ?? "");
    const attempt = Number(req.headers["x-attempt"] ?? 1);
    const behaviour = plan(endpoint, requestId, attempt);

    stats.requests++;
    stats.inFlight++;
    stats.peakInFlight = Math.max(stats.peakInFlight, stats.inFlight);
    let timer: NodeJS.Timeout | undefined;
    // 'close' comes once per response: after it was sent, or when the caller went away first.
    res.once("close", () => {
      clearTimeout(timer);
      if (!res.writableFinished) stats.aborted++;
      stats.inFlight--;
      if (stats.inFlight === 0) {
        for (const resolve of onDrained) resolve();
        onDrained = [];
      }
    });
    options.onRequest?.(endpoint, requestId, behaviour);

    const ok = () => {
      const body =
        endpoint === "auth" ? { user: `user-${requestId}` } : { items: [1, 2, 3], attempt };
      sendJson(res, 200, body);
    };
    if (behaviour === "ok") ok();
    else if (behaviour === "slow") timer = setTimeout(ok, slowMs);
    else if (behaviour === "unauthorized") sendJson(res, 401, { error: "unknown token" });
    else if (behaviour === "error") sendJson(res, 500, { error: "internal error" });
    // "hang": answer nothing; the 'close' listener above sees the caller give up.
  });

  const url = await listen(server);
  return {
    url,
    stats,
    drained: () =>
      stats.inFlight === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => onDrained.push(resolve)),
    // With no call in flight, what is left are keep-alive connections fetch may still reuse,
    // and ones it opened but never used (server.close() waits for those): close them all.
    // With a call in flight, wait for it: a call left hanging shows as a close that never ends.
    close: () => {
      const closing = close(server);
      if (stats.inFlight === 0) server.closeAllConnections();
      return closing;
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/**
 * An HTTP API server whose handler runs one sdax processor per request, against an upstream
 * service on loopback. `npx tsx examples/api-server/main.ts` starts both and prints the URL;
 * the request id picks how the upstream behaves (see scenarios.ts):
 *
 *   curl -i http://127.0.0.1:3000/profile                               # 200
 *   curl -i -H 'x-request-id: flaky' http://127.0.0.1:3000/profile      # 200 after a retry
 *   curl -i -H 'x-request-id: denied' http://127.0.0.1:3000/profile     # 401
 *   curl -i -H 'x-request-id: data-down' http://127.0.0.1:3000/profile  # 502
 *   curl -i -H 'x-request-id: data-hangs' http://127.0.0.1:3000/profile # 504
 *   curl -i -H 'x-request-id: client-leaves' http://127.0.0.1:3000/profile, then Ctrl-C: 499
 *
 * `load.ts` starts the same app with a seeded plan and fires 2,000 requests at it.
 */
import type { Server } from "node:http";
import { isMain } from "../demo-kit.js";
import { close, listen } from "./listen.js";
import { ConnectionPool } from "./pool.js";
import { planByName } from "./scenarios.js";
import { createApiServer, type Outcome } from "./server.js";
import { type Plan, startUpstream, type Upstream, type UpstreamOptions } from "./upstream.js";
import { buildWorkflow } from "./workflow.js";

export interface AppOptions {
  /** How the upstream answers each call. */
  readonly plan: Plan;
  /** The API server's port; 0 (the default): an ephemeral one. */
  readonly port?: number;
  /** @default 20 */
  readonly poolSize?: number;
  /** Bound on each attempt of the data call. @default 200 */
  readonly timeoutMs?: number;
  /** @default 1 */
  readonly retries?: number;
  /** @default 20 */
  readonly initialDelayMs?: number;
  readonly onOutcome?: ((outcome: Outcome) => void) | undefined;
  readonly onUpstreamRequest?: UpstreamOptions["onRequest"];
}

export interface App {
  /** The API server's base URL. */
  readonly url: string;
  readonly pool: ConnectionPool;
  readonly upstream: Upstream;
  readonly api: Server;
  /** Closes the API server, then the upstream; resolves when every connection has ended. */
  close(): Promise<void>;
}

/** Starts the upstream, builds the pool and the processor (once), then starts the API server. */
export async function startApp(options: AppOptions): Promise<App> {
  const upstream = await startUpstream(options.plan, { onRequest: options.onUpstreamRequest });
  const pool = new ConnectionPool(options.poolSize ?? 20);
  const processor = buildWorkflow({
    pool,
    upstreamUrl: upstream.url,
    timeoutMs: options.timeoutMs ?? 200,
    retries: options.retries ?? 1,
    initialDelayMs: options.initialDelayMs ?? 20,
  });
  const api = createApiServer(processor, { onOutcome: options.onOutcome });
  const url = await listen(api, options.port ?? 0);
  return {
    url,
    pool,
    upstream,
    api,
    close: async () => {
      await close(api);
      await upstream.close();
    },
  };
}

if (isMain(import.meta.url)) {
  const app = await startApp({
    plan: planByName,
    port: Number(process.env.PORT ?? 3000),
    onOutcome: (o) => {
      const { pool } = app;
      console.log(
        `${o.status} ${o.requestId} in ${Math.round(o.ms)} ms (pool: ${pool.available}/${pool.size} free)`,
      );
    },
  });
  console.log(`API server: ${app.url}/profile (upstream: ${app.upstream.url})`);
  console.log("Request ids that pick a scenario: ok, slow, flaky, denied, auth-down, data-down,");
  console.log("data-hangs, client-leaves. Ctrl-C stops.");
  process.once("SIGINT", () => {
    console.log("\nclosing...");
    app.api.closeAllConnections();
    void app.close();
  });
}

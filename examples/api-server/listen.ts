/** Starting and stopping a `node:http` server on loopback, as promises. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Listens on 127.0.0.1 (`port` 0: an ephemeral port) and resolves to the server's base URL.
 * The backlog is raised so a burst of thousands of connections is queued, not refused.
 */
export function listen(server: Server, port = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port, backlog: 4096 }, () => {
      server.off("error", reject);
      const { port: bound } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${bound}`);
    });
  });
}

/**
 * Stops accepting connections and resolves once every open connection has ended. Idle
 * keep-alive connections are closed at once; a connection with a request still in progress is
 * waited for, so a request left hanging shows up as a close that never resolves.
 */
export function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error === undefined ? resolve() : reject(error)));
    server.closeIdleConnections();
  });
}

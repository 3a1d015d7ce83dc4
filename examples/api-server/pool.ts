/**
 * A fixed-size connection pool, in process: the stand-in for a database driver's pool.
 * `acquire(signal)` hands out a free connection or waits in line for one; a waiter whose signal
 * aborts leaves the line at once, so a cancelled request never takes a connection it will not
 * use. The counters let the load test check that every connection acquired was released.
 */

/** One pooled connection. */
export interface Connection {
  readonly id: number;
}

interface Waiter {
  readonly resolve: (connection: Connection) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

export class ConnectionPool {
  readonly size: number;
  /** Connections handed out, and given back, since the pool was created. */
  acquired = 0;
  released = 0;
  /** Waiters that left the line because their signal aborted. */
  abandonedWaits = 0;
  /** The longest the line has been. */
  peakWaiting = 0;

  readonly #free: Connection[] = [];
  readonly #inUse = new Set<Connection>();
  /** Waiters in arrival order (a Set keeps insertion order and deletes in O(1)). */
  readonly #waiters = new Set<Waiter>();

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size: ${size}`);
    this.size = size;
    for (let id = 1; id <= size; id++) this.#free.push({ id });
  }

  get available(): number {
    return this.#free.length;
  }

  get inUse(): number {
    return this.#inUse.size;
  }

  get waiting(): number {
    return this.#waiters.size;
  }

  /** A free connection now, or the first one released; rejects with the signal's reason if it aborts first. */
  acquire(signal?: AbortSignal): Promise<Connection> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const free = this.#free.pop();
    if (free !== undefined) return Promise.resolve(this.#handOut(free));
    return new Promise<Connection>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.#waiters.delete(waiter);
          this.abandonedWaits++;
          reject(signal?.reason);
        },
      };
      this.#waiters.add(waiter);
      this.peakWaiting = Math.max(this.peakWaiting, this.#waiters.size);
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
    });
  }

  /** Gives a connection back: to the first waiter in line, or to the free list. */
  release(connection: Connection): void {
    if (!this.#inUse.delete(connection)) {
      throw new Error(`connection ${connection.id} is not in use: released twice?`);
    }
    this.released++;
    const next = this.#waiters.values().next();
    if (next.done) {
      this.#free.push(connection);
      return;
    }
    const waiter = next.value;
    this.#waiters.delete(waiter);
    waiter.signal?.removeEventListener("abort", waiter.onAbort);
    waiter.resolve(this.#handOut(connection));
  }

  #handOut(connection: Connection): Connection {
    this.#inUse.add(connection);
    this.acquired++;
    return connection;
  }
}

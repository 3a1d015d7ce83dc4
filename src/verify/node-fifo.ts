/**
 * A first-in first-out queue of node numbers that can also drop a node out of order, each
 * operation O(1) amortised: dropped nodes are marked and passed over at the head.
 */
export class NodeFifo {
  #items: number[] = [];
  #head = 0;
  #size = 0;
  /** Per node: 1 while it is in the queue. */
  readonly #member: Uint8Array;

  constructor(nodeCount: number) {
    this.#member = new Uint8Array(nodeCount);
  }

  /** How many nodes are in the queue. */
  get size(): number {
    return this.#size;
  }

  /** The oldest node in the queue, or undefined. */
  head(): number | undefined {
    while (this.#head < this.#items.length) {
      const node = this.#items[this.#head]!;
      if (this.#member[node] === 1) return node;
      this.#head++;
    }
    return undefined;
  }

  /** True while `node` is in the queue. */
  has(node: number): boolean {
    return this.#member[node] === 1;
  }

  /** Adds `node` at the back (nothing if it is in the queue already). */
  push(node: number): void {
    if (this.#member[node] === 1) return;
    this.#member[node] = 1;
    this.#items.push(node);
    this.#size++;
  }

  /** Takes `node` out of the queue, wherever it is; false if it was not in it. */
  remove(node: number): boolean {
    if (this.#member[node] !== 1) return false;
    this.#member[node] = 0;
    this.#size--;
    if (this.#size === 0) {
      this.#items = [];
      this.#head = 0;
    }
    return true;
  }

  /** The nodes in the queue, oldest first. */
  toArray(): number[] {
    const out: number[] = [];
    for (let k = this.#head; k < this.#items.length; k++) {
      const node = this.#items[k]!;
      if (this.#member[node] === 1) out.push(node);
    }
    return out;
  }
}

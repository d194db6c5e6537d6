// A binary heap ordered by `precedes(a, b)` (a comes out before b). Used by the commit-graph
// walk (newest generation first) and the demo's event simulation (earliest time first).
export class BinaryHeap<T> {
  readonly #items: T[] = [];

  constructor(private readonly precedes: (a: T, b: T) => boolean) {}

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.precedes(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let first = i;
        if (left < items.length && this.precedes(items[left]!, items[first]!)) first = left;
        if (right < items.length && this.precedes(items[right]!, items[first]!)) first = right;
        if (first === i) break;
        [items[i], items[first]] = [items[first]!, items[i]!];
        i = first;
      }
    }
    return top;
  }
}

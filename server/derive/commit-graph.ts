// The commit graph of a service's repositories, with generation numbers so that
// "reachable from A and not from B" walks only the commits between two deployments
// (git's paint-down idea) instead of the whole history.
import { BinaryHeap } from '../lib/binary-heap.js';

export interface GraphCommit {
  repository: string;
  sha: string;
  parents: string[];
  authoredAt: Date;
}

export class CommitGraph {
  readonly #commits = new Map<string, GraphCommit>();
  readonly #generation = new Map<string, number>();
  readonly #truncated: ReadonlySet<string>;
  #incomplete = false;

  /**
   * `truncated`: commits whose parents include a stored commit left out of this graph (a graph
   * of recent history only). A walk that would go past one of them is marked incomplete.
   */
  constructor(commits: Iterable<GraphCommit>, truncated: ReadonlySet<string> = new Set()) {
    for (const commit of commits) this.#commits.set(commit.sha, commit);
    this.#truncated = truncated;
  }

  /** True once a walk needed a commit this graph left out: its answers may be short of the whole history's. */
  get incomplete(): boolean {
    return this.#incomplete;
  }

  get(sha: string): GraphCommit | undefined {
    return this.#commits.get(sha);
  }

  has(sha: string): boolean {
    return this.#commits.has(sha);
  }

  /** 1 + the largest parent generation; parents outside the graph count as 0 (unknown history). */
  generation(sha: string): number {
    const known = this.#generation.get(sha);
    if (known !== undefined) return known;
    // Iterative post-order so long histories do not overflow the stack. Pushed data can
    // hold a parent cycle (git cannot); an edge back into the walk counts as unknown history.
    const onPath = new Set<string>([sha]);
    const stack: string[] = [sha];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (this.#generation.has(top)) {
        stack.pop();
        onPath.delete(top);
        continue;
      }
      const parents = this.#commits.get(top)?.parents.filter((p) => this.#commits.has(p) && !(onPath.has(p) && !this.#generation.has(p))) ?? [];
      const pending = parents.filter((p) => !this.#generation.has(p));
      if (pending.length) {
        const next = pending[0]!;
        onPath.add(next);
        stack.push(next);
        continue;
      }
      this.#generation.set(top, 1 + Math.max(0, ...parents.map((p) => this.#generation.get(p)!)));
      stack.pop();
      onPath.delete(top);
    }
    return this.#generation.get(sha)!;
  }

  /**
   * Commits reachable from `head` and not from `base` (both in the graph), newest first.
   * Nodes are visited in decreasing generation, so a node's "reachable from base" mark is
   * final when it is taken off the queue; the walk stops once only base-side nodes remain.
   */
  reachableFromExcluding(head: string, base: string): string[] {
    const FROM_HEAD = 1;
    const FROM_BASE = 2;
    const flags = new Map<string, number>();
    const queue = new BinaryHeap<{ sha: string; generation: number }>((a, b) => a.generation > b.generation);
    let headOnlyQueued = 0;
    const mark = (sha: string, flag: number) => {
      if (!this.#commits.has(sha)) return;
      const before = flags.get(sha) ?? 0;
      const after = before | flag;
      if (after === before) return;
      flags.set(sha, after);
      if (before === 0) {
        queue.push({ sha, generation: this.generation(sha) });
        if (after === FROM_HEAD) headOnlyQueued++;
      } else if (before === FROM_HEAD) {
        headOnlyQueued--; // still queued, but now also reachable from base
      }
    };
    mark(head, FROM_HEAD);
    mark(base, FROM_BASE);
    const result: string[] = [];
    while (headOnlyQueued > 0) {
      const { sha } = queue.pop()!;
      const flag = flags.get(sha)!;
      if (flag === FROM_HEAD) {
        headOnlyQueued--;
        result.push(sha);
        if (this.#truncated.has(sha)) this.#incomplete = true;
      }
      for (const parent of this.#commits.get(sha)!.parents) mark(parent, flag);
    }
    return result;
  }

  /** True when `ancestor` is reachable from `descendant` through parents (and differs from it). */
  isStrictAncestor(ancestor: string, descendant: string): boolean {
    if (ancestor === descendant || !this.has(ancestor) || !this.has(descendant)) return false;
    const floor = this.generation(ancestor);
    const seen = new Set<string>([descendant]);
    const stack = [descendant];
    while (stack.length) {
      const sha = stack.pop()!;
      for (const parent of this.#commits.get(sha)?.parents ?? []) {
        if (parent === ancestor) return true;
        if (seen.has(parent) || !this.has(parent) || this.generation(parent) <= floor) continue;
        seen.add(parent);
        stack.push(parent);
      }
    }
    return false;
  }
}

// A promise started now and awaited later (work pipelined with other work) would count as an
// unhandled rejection if it failed in between: marked handled here, it still rejects where awaited.
export function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

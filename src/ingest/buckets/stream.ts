/**
 * Wait for a stream's first chunk (or its end) before handing it on: SDKs that start a download when the stream is
 * read report a refused request (404, 403) as the stream's first error, which must be told apart from a download cut
 * later. The chunk is given back at the front.
 */
export async function firstChunk(stream: AsyncIterable<Uint8Array>): Promise<AsyncIterable<Uint8Array>> {
  const iterator = stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  return {
    [Symbol.asyncIterator]() {
      let pending: IteratorResult<Uint8Array> | null = first;
      return {
        next: () => {
          if (pending !== null) {
            const out = pending;
            pending = null;
            return Promise.resolve(out);
          }
          return iterator.next();
        },
        return: async () => {
          await iterator.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** Calls of one statement that went into one round trip at most (bounds its parameters). */
const MAX_BATCH = 500;

/**
 * Runs many callers' single-row statements as one: calls made while a batch is on its way to
 * the database wait and go together in the next one, so a busy queue costs a round trip per
 * batch, not per job, and an idle one answers a lone call at once. `run` gets the inputs in
 * call order and returns one output per input, in the same order.
 */
export function coalesced<I, O>(
  run: (inputs: readonly I[]) => Promise<readonly O[]>,
): (input: I) => Promise<O> {
  let waiting: { input: I; resolve: (output: O) => void; reject: (error: unknown) => void }[] = [];
  let running = false;
  const flush = async () => {
    running = true;
    while (waiting.length > 0) {
      const batch = waiting.slice(0, MAX_BATCH);
      waiting = waiting.slice(batch.length);
      try {
        const outputs = await run(batch.map((call) => call.input));
        for (const [i, call] of batch.entries()) call.resolve(outputs[i] as O);
      } catch (error) {
        for (const call of batch) call.reject(error);
      }
    }
    running = false;
  };
  return (input) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ input, resolve, reject });
      // Calls of this same tick join the batch: start it once they are all in.
      if (!running) {
        running = true;
        queueMicrotask(() => void flush());
      }
    });
}

/** What `fn` throws, or undefined: for asserting an error's code and position together. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

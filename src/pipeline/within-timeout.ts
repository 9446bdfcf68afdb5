/** `outcome`, or false once `timeoutMs` passed first: a drain that gives up at the shutdown timeout. */
export async function withinTimeout(outcome: Promise<boolean>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    outcome,
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  return result;
}

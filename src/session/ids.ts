/** Session ids: one process-wide counter, so ids are unique and increasing across engines too. */
let last = 0

export function nextSessionId(): number {
  return ++last
}

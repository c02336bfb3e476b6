// The order of the sides in each round: rotated, so no side always goes first.

/** `xs` rotated left by `r`: the order of the sides in round `r`. */
export function rotate(xs, r) {
  const k = r % xs.length
  return [...xs.slice(k), ...xs.slice(0, k)]
}

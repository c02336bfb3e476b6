/**
 * The ES module entry: the CommonJS build re-exported, so `import` and `require` share one copy
 * of every class (an error thrown by either passes `instanceof LeanAggError` in both).
 */
export * from './index.js'

/** Library logs go to an injectable logger, or to NODE_DEBUG=leanagg (stderr); never stdout. */
import { debuglog } from 'node:util'

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
}

const channel = debuglog('leanagg')

export const debugLogger: Logger = {
  debug: (message, fields) => channel('%s %j', message, fields ?? {}),
  warn: (message, fields) => channel('WARN %s %j', message, fields ?? {}),
}

/** Drops every line: for tests and benchmarks that want none. */
export const noopLogger: Logger = { debug() {}, warn() {} }

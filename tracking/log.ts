// The tracking code logs through memeops' one logger interface (api/contract/log.ts); console when none is given.
import type { Logger } from "../api/contract/log.ts";

export const consoleLogger: Logger = {
  info: (m) => console.info(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
  debug: () => {},
};

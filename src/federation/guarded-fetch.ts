import { Agent, buildConnector, setGlobalDispatcher } from "undici";
import { type AddressGuard, NonPublicAddressError } from "./address-guard.ts";

/**
 * A connection pool for `fetch` that asks the address guard before every connection: IP
 * literals are judged as they are, names by every address they resolve to at that moment.
 *
 * Fedify's own sender (retries, redirects, the fallback from our direct sender) uses the global
 * `fetch`, and follows an inbox's redirects without checking where they lead, and resolves the
 * inbox's name again when it connects. Checked here, on the connection, a redirect to
 * 169.254.169.254 or a name that turns private after the delivery was checked goes nowhere.
 */
export function guardedDispatcher(guard: AddressGuard): Agent {
  const connectThroughGuard = buildConnector({ lookup: guard.lookup });
  return new Agent({
    connect(options, callback) {
      const verdict = guard.checkLiteral(options.hostname);
      if (verdict && !verdict.ok) {
        callback(new NonPublicAddressError(verdict), null);
        return;
      }
      connectThroughGuard(options, callback);
    },
  });
}

/** Node only: every `fetch` in this process goes through `guardedDispatcher(guard)`. */
export function guardGlobalFetch(guard: AddressGuard): void {
  setGlobalDispatcher(guardedDispatcher(guard));
}

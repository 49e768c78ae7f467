import type { Federation } from "@fedify/fedify";
import { isActor } from "@fedify/vocab";
import type { FederationData } from "./context-data.ts";
import { instanceDocumentLoader } from "./instance-actor.ts";

/**
 * `@name@host` -> the account's actor id, through WebFinger and the actor document (Fedify's
 * lookup, under the address guard like every fetch). Undefined when it cannot be found.
 */
export function actorResolver(
  federation: Federation<FederationData>,
  data: FederationData,
): (handle: string) => Promise<string | undefined> {
  return async (handle) => {
    const ctx = federation.createContext(new URL(data.publicUrl), data);
    try {
      const found = await ctx.lookupObject(handle, {
        documentLoader: instanceDocumentLoader(ctx),
      });
      return isActor(found) ? found.id?.href : undefined;
    } catch (error) {
      data.logger.info("could not look up an account", { handle, error: String(error) });
      return undefined;
    }
  };
}

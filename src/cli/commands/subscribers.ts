import { clientFromOptions } from "../api-client.ts";
import { COMMON_USAGE, expectPositionals, parseCommandArgs } from "../args.ts";
import type { Command } from "../command.ts";
import { table } from "../output.ts";

const USAGE = `Usage: tidings subscribers SLUG [--json]

Lists the WebSub subscribers of a feed's documents (callback host, state, lease end, last
delivery).

${COMMON_USAGE}`;

interface SubscriptionJson {
  topic: string;
  callbackHost: string;
  state: string;
  leaseEndsAt: string;
  signed: boolean;
  lastDeliveryAt: string | null;
  lastDeliveryResult: string | null;
}

export const subscribersCommand: Command = {
  name: "subscribers",
  synopsis: "subscribers SLUG",
  summary: "list a feed's WebSub subscribers",
  usage: USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(args, {}, USAGE);
    if (values.help) {
      out.line(USAGE);
      return 0;
    }
    const [slug = ""] = expectPositionals(positionals, ["SLUG"], USAGE);
    const client = clientFromOptions(values, env);
    const { body } = await client.get<{ items: SubscriptionJson[] }>(
      "/admin/websub/subscriptions",
      { feed: slug },
    );
    if (values.json) {
      out.json(body);
      return 0;
    }
    const { items } = body;
    out.line(`${slug} has ${items.length} WebSub subscriber${items.length === 1 ? "" : "s"}`);
    if (items.length === 0) return 0;
    const rows = items.map((s) => [
      s.callbackHost,
      s.topic.slice(s.topic.lastIndexOf(".") + 1),
      s.state,
      s.leaseEndsAt,
      s.lastDeliveryResult ? `${s.lastDeliveryResult} at ${s.lastDeliveryAt}` : "-",
    ]);
    for (const line of table([["HOST", "FORMAT", "STATE", "LEASE ENDS", "LAST DELIVERY"], ...rows]))
      out.line(`  ${line}`);
    return 0;
  },
};

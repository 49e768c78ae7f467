import { clientFromOptions } from "../api-client.ts";
import { COMMON_USAGE, expectPositionals, parseCommandArgs } from "../args.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { table } from "../output.ts";

interface TokenJson {
  readonly id: string;
  readonly name: string;
  readonly scope: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
  readonly token?: string;
}

const CREATE_USAGE = `Usage: tidings token create --name NAME --scope publish|admin [--json]

Creates an admin token and prints it. It is shown this once: only its hash is kept.

Options:
  --name NAME      what it is for, e.g. cms (names its entries in the audit log)
  --scope SCOPE    publish: push, update and correct articles; admin: everything

${COMMON_USAGE}`;

export const tokenCreateCommand: Command = {
  name: "token create",
  synopsis: "token create --scope S --name N",
  summary: "create an admin token (shown once)",
  usage: CREATE_USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(
      args,
      { name: { type: "string" }, scope: { type: "string" } },
      CREATE_USAGE,
    );
    if (values.help) {
      out.line(CREATE_USAGE);
      return 0;
    }
    expectPositionals(positionals, [], CREATE_USAGE);
    if (!values.name) throw new UsageError("--name is required", CREATE_USAGE);
    if (values.scope !== "publish" && values.scope !== "admin") {
      throw new UsageError("--scope must be publish or admin", CREATE_USAGE);
    }
    const { body } = await clientFromOptions(values, env).post<TokenJson>("/admin/tokens", {
      name: values.name,
      scope: values.scope,
    });
    if (values.json) {
      out.json(body);
      return 0;
    }
    out.line(body.token ?? "");
    out.stderr.write(
      `token "${body.name}" (${body.scope}) created: copy it now, it is not shown again\n`,
    );
    return 0;
  },
};

const REVOKE_USAGE = `Usage: tidings token revoke NAME_OR_ID [--json]

Revokes an admin token: it stops working at once.

${COMMON_USAGE}`;

export const tokenRevokeCommand: Command = {
  name: "token revoke",
  synopsis: "token revoke NAME",
  summary: "revoke an admin token",
  usage: REVOKE_USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(args, {}, REVOKE_USAGE);
    if (values.help) {
      out.line(REVOKE_USAGE);
      return 0;
    }
    const [name = ""] = expectPositionals(positionals, ["NAME_OR_ID"], REVOKE_USAGE);
    const { body } = await clientFromOptions(values, env).request<TokenJson>(
      "DELETE",
      `/admin/tokens/${encodeURIComponent(name)}`,
    );
    if (values.json) out.json(body);
    else out.line(`revoked token ${body.name} (${body.scope})`);
    return 0;
  },
};

const LIST_USAGE = `Usage: tidings tokens [--json]

Lists the admin tokens (never their secrets), live ones first.

${COMMON_USAGE}`;

export const tokensCommand: Command = {
  name: "tokens",
  synopsis: "tokens",
  summary: "list the admin tokens",
  usage: LIST_USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(args, {}, LIST_USAGE);
    if (values.help) {
      out.line(LIST_USAGE);
      return 0;
    }
    expectPositionals(positionals, [], LIST_USAGE);
    const { body } = await clientFromOptions(values, env).get<{ items: TokenJson[] }>(
      "/admin/tokens",
    );
    if (values.json) {
      out.json(body);
      return 0;
    }
    if (body.items.length === 0) {
      out.line("no stored tokens (ADMIN_TOKEN always works as admin)");
      return 0;
    }
    const rows = body.items.map((t) => [
      t.name,
      t.scope,
      t.createdAt,
      t.revokedAt ? `revoked ${t.revokedAt}` : "live",
    ]);
    for (const line of table([["NAME", "SCOPE", "CREATED", "STATUS"], ...rows])) out.line(line);
    return 0;
  },
};

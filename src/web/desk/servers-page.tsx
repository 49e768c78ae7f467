import type { RemoteServer } from "../../storage/views/delivery-record.view.ts";
import { readableDate } from "../format.ts";
import { type DeskChrome, DeskLayout } from "./desk-layout.tsx";

/** `/desk/servers`: each remote server, its followers and delivery health; failing ones only. */
export function ServersPage(props: {
  chrome: DeskChrome;
  servers: readonly RemoteServer[];
  failingOnly: boolean;
  nextCursor: string | null;
}) {
  const query = (cursor: string) =>
    `/desk/servers?${new URLSearchParams({ ...(props.failingOnly ? { failing: "1" } : {}), cursor })}`;
  return (
    <DeskLayout title="Servers" chrome={{ ...props.chrome, section: "servers" }}>
      <h1>Servers</h1>
      <form method="get" action="/desk/servers" class="filter">
        <label class="check">
          <input type="checkbox" name="failing" value="1" checked={props.failingOnly} /> Failing
          servers only
        </label>{" "}
        <button type="submit">Show</button>
      </form>
      {props.servers.length === 0 ? (
        <p>{props.failingOnly ? "No server is failing." : "No server follows a feed here yet."}</p>
      ) : (
        <div class="table-wrap">
          <table class="desk-table">
            <thead>
              <tr>
                <th scope="col">Server</th>
                <th scope="col">Followers</th>
                <th scope="col">Last success</th>
                <th scope="col">Failures</th>
                <th scope="col">Circuit</th>
              </tr>
            </thead>
            <tbody>
              {props.servers.map((server) => (
                <tr>
                  <th scope="row">
                    {server.host}
                    {server.failing ? <span class="failing"> (failing)</span> : null}
                  </th>
                  <td>{server.followers}</td>
                  <td>{server.lastSuccessAt ? readableDate(server.lastSuccessAt) : "never"}</td>
                  <td>
                    {server.failures}
                    {server.lastStatus && server.failing ? ` (last: ${server.lastStatus})` : ""}
                  </td>
                  <td>{server.circuit ?? "closed"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.nextCursor ? (
        <p>
          <a href={query(props.nextCursor)}>More servers</a>
        </p>
      ) : null}
    </DeskLayout>
  );
}

import type { ServerFollowers } from "../../storage/views/desk.view.ts";
import { type DeskChrome, DeskLayout } from "./desk-layout.tsx";

/** `/desk/servers`: each remote server that follows a feed here. */
export function ServersPage(props: { chrome: DeskChrome; servers: readonly ServerFollowers[] }) {
  return (
    <DeskLayout title="Servers" chrome={{ ...props.chrome, section: "servers" }}>
      <h1>Servers</h1>
      {props.servers.length === 0 ? (
        <p>No server follows a feed here yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="desk-table">
            <thead>
              <tr>
                <th scope="col">Server</th>
                <th scope="col">Followers</th>
                <th scope="col">Feeds followed</th>
              </tr>
            </thead>
            <tbody>
              {props.servers.map((server) => (
                <tr>
                  <th scope="row">{server.host}</th>
                  <td>{server.followers}</td>
                  <td>{server.feeds}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </DeskLayout>
  );
}

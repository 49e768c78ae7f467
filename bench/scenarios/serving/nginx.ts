/**
 * nginx serving the very bytes Tidings serves, as the "how fast could this be" baseline.
 *
 * Configured to be fair to both sides: one worker process (Node serves from one event loop),
 * no access log (Tidings logs nothing at LOG_LEVEL=warn), sendfile, keep-alive with no practical
 * request limit (Node's server has none), open_file_cache (Tidings holds the bytes in memory),
 * the same Content-Type, Cache-Control and Vary headers, and `gzip_static on` serving the
 * pre-gzipped copy (Tidings serves its pre-gzipped bytes too; neither compresses per request).
 */

import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { FEED_DOCUMENT_SECURITY_HEADERS } from "../../../src/syndication/document-answer.ts";
import { freePort } from "../../../test/support/free-port.ts";
import { type Child, startChild } from "../../harness/children.ts";
import { waitUntilServing } from "../../harness/http-client.ts";

/** The settings that matter, printed with the results. */
export const NGINX_SETTINGS =
  "worker_processes 1; access_log off; sendfile on; tcp_nopush on; tcp_nodelay on; " +
  "keepalive_timeout 65s; keepalive_requests 1000000; open_file_cache max=64; gzip off; " +
  "gzip_static on (+gzip_vary); same Content-Type/Cache-Control/Vary as Tidings";

/** Serves `dir/www/feeds/*` (files written by the caller) on a free loopback port. */
export async function startNginx(
  nginx: string,
  dir: string,
): Promise<{ origin: string; child: Child }> {
  const port = await freePort();
  for (const sub of ["logs", "tmp"]) await mkdir(path.join(dir, sub), { recursive: true });
  // The worker runs as `nobody` when the master is root: let it read the files.
  await chmod(dir, 0o755);
  const conf = path.join(dir, "nginx.conf");
  await writeFile(conf, config(dir, port));
  const child = startChild("nginx", nginx, [
    "-p",
    dir,
    "-c",
    conf,
    "-e",
    path.join(dir, "logs/error.log"),
  ]);
  const origin = `http://127.0.0.1:${port}`;
  await waitUntilServing(child, `${origin}/nginx-health`, 10_000);
  return { origin, child };
}

function config(dir: string, port: number): string {
  const tmp = path.join(dir, "tmp");
  return `# Written by bench/scenarios/serving/nginx.ts for one benchmark run.
daemon off;
master_process on;
worker_processes 1;
pid ${path.join(dir, "nginx.pid")};
error_log ${path.join(dir, "logs/error.log")} warn;

events {
  worker_connections 1024;
}

http {
  access_log off;
  server_tokens off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65s;
  keepalive_requests 1000000;
  open_file_cache max=64 inactive=60s;
  open_file_cache_valid 60s;
  gzip off;
  client_body_temp_path ${tmp}/client_body;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;

  types {
    application/rss+xml rss;
    application/atom+xml atom;
    application/feed+json json;
  }
  default_type application/octet-stream;
  charset utf-8;
  charset_types application/rss+xml application/atom+xml application/feed+json;

  server {
    listen 127.0.0.1:${port};
    root ${dir}/www;

    location = /nginx-health {
      return 200 "ok\\n";
    }

    location /feeds/ {
      gzip_static on;
      gzip_vary on;
      add_header Cache-Control "public, max-age=60, stale-while-revalidate=300";
${Object.entries(FEED_DOCUMENT_SECURITY_HEADERS)
  .map(([name, value]) => `      add_header ${name} "${value}";`)
  .join("\n")}
    }
  }
}
`;
}

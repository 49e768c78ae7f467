import type { DeliverySummary, ServerDelivery } from "../../storage/views/delivery-record.view.ts";

/** What the delivery panel and its JSON carry: servers by state of the latest publish. */
export interface DeliveryCounts {
  readonly delivered: number;
  readonly failed: number;
  readonly pending: number;
  readonly total: number;
  readonly revision: number | null;
  /**
   * The record is of the story's current revision. False just after a push or an edit, until
   * the relay has queued it: the panel keeps polling (with a story without followers, slowly).
   */
  readonly current: boolean;
}

export function deliveryCounts(summary: DeliverySummary, articleRevision: number): DeliveryCounts {
  const { delivered, failed, pending, servers, revision } = summary;
  return {
    delivered,
    failed,
    pending,
    total: servers,
    revision,
    current: revision === articleRevision,
  };
}

/** Nothing more will change: the current revision is recorded and no server is pending. */
export function deliverySettled(counts: DeliveryCounts): boolean {
  return counts.current && counts.pending === 0;
}

/** Where the delivery panel of a story polls. */
export function deliveryJsonPath(articleId: string): string {
  return `/desk/stories/${articleId}/delivery.json`;
}

/**
 * Delivered / failed / pending of N servers for a story's latest publish. While anything is
 * pending, desk.js polls `jsonUrl` (with its ETag) and updates the numbers in place; the status
 * line says when it is done.
 */
export function DeliveryHealth(props: {
  counts: DeliveryCounts;
  articleId: string;
  headingLevel?: 2 | 3;
}) {
  const { counts } = props;
  const Heading = props.headingLevel === 3 ? "h3" : "h2";
  return (
    <section
      class="delivery"
      aria-labelledby="delivery-heading"
      data-delivery={deliveryJsonPath(props.articleId)}
      data-settled={String(deliverySettled(counts))}
    >
      <Heading id="delivery-heading">
        Delivery{counts.revision === null ? "" : ` of revision ${counts.revision}`}
      </Heading>
      {counts.total === 0 && counts.revision === null ? (
        <p>Nothing was sent to other servers (no followers yet, or not yet published).</p>
      ) : null}
      <p class="delivery-counts">
        <span data-count="delivered">{counts.delivered}</span> delivered ·{" "}
        <span data-count="failed">{counts.failed}</span> failed ·{" "}
        <span data-count="pending">{counts.pending}</span> pending, of{" "}
        <span data-count="total">{counts.total}</span> servers
      </p>
      <progress
        max={Math.max(1, counts.total)}
        value={counts.delivered + counts.failed}
        aria-label="Servers answered"
      />
      <p class="meta" role="status" data-delivery-status>
        {deliverySettled(counts) && counts.total > 0 ? finishedText(counts) : ""}
      </p>
    </section>
  );
}

/** The status line once done (desk.js writes the same words). */
function finishedText(counts: DeliveryCounts): string {
  return `Delivery finished: ${counts.delivered} of ${counts.total} servers.`;
}

/** A server's row as text cells: the page renders them, and desk.js updates them from the JSON. */
export interface ServerRow {
  readonly host: string;
  readonly state: ServerDelivery["state"];
  readonly inboxes: string;
  readonly lastAnswer: string;
  readonly attempts: string;
}

export function serverRow(item: ServerDelivery): ServerRow {
  return {
    host: item.host,
    state: item.state,
    inboxes: `${item.delivered} of ${item.inboxes}${item.givenUp > 0 ? ` (${item.givenUp} given up)` : ""}`,
    lastAnswer: item.lastStatus ?? "none yet",
    attempts: String(item.attempts),
  };
}

/**
 * Reach per server: what each remote server made of the story's latest publish. Hidden while
 * empty (a fresh push not yet queued); desk.js fills it in as answers come.
 */
export function ServerDeliveries(props: { rows: readonly ServerRow[] }) {
  return (
    <div class="table-wrap" hidden={props.rows.length === 0} data-delivery-table>
      <table class="desk-table">
        <caption>Per server</caption>
        <thead>
          <tr>
            <th scope="col">Server</th>
            <th scope="col">State</th>
            <th scope="col">Inboxes</th>
            <th scope="col">Last answer</th>
            <th scope="col">Attempts</th>
          </tr>
        </thead>
        <tbody data-delivery-servers>
          {props.rows.map((row) => (
            <tr data-host={row.host}>
              <th scope="row">{row.host}</th>
              <td class={row.state === "failed" ? "failing" : undefined}>{row.state}</td>
              <td>{row.inboxes}</td>
              <td>{row.lastAnswer}</td>
              <td>{row.attempts}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

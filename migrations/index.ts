import type { Migration } from "kysely/migration";
import * as m0001 from "./0001-initial.ts";
import * as m0002 from "./0002-fedify-storage.ts";
import * as m0003 from "./0003-federation.ts";
import * as m0004 from "./0004-batched-queue.ts";
import * as m0005 from "./0005-resanitize-stored-html.ts";
import * as m0006 from "./0006-drop-single-claim.ts";
import * as m0007 from "./0007-live-updates.ts";
import * as m0008 from "./0008-websub.ts";
import * as m0009 from "./0009-moderation.ts";
import * as m0010 from "./0010-content-warning.ts";
import * as m0011 from "./0011-corrections.ts";
import * as m0013 from "./0013-outbox-live-updates.ts";
import * as m0014 from "./0014-websub-distribution.ts";
import * as m0015 from "./0015-story-lifecycle.ts";
import * as m0016 from "./0016-outbox-correction-replies.ts";
import * as m0017 from "./0017-quotes.ts";
import * as m0018 from "./0018-feed-renames.ts";
import * as m0019 from "./0019-delivery-record.ts";

/**
 * Every migration, in order. Listed statically (not read from disk) so the Cloudflare Worker
 * bundle needs no filesystem. Add new migrations at the end; never rename or edit a landed one.
 */
export const migrations: Record<string, Migration> = {
  "0001-initial": m0001,
  "0002-fedify-storage": m0002,
  "0003-federation": m0003,
  "0004-batched-queue": m0004,
  "0005-resanitize-stored-html": m0005,
  "0006-drop-single-claim": m0006,
  "0007-live-updates": m0007,
  "0008-websub": m0008,
  "0009-moderation": m0009,
  "0010-content-warning": m0010,
  "0011-corrections": m0011,
  "0013-outbox-live-updates": m0013,
  "0014-websub-distribution": m0014,
  "0015-story-lifecycle": m0015,
  "0016-outbox-correction-replies": m0016,
  "0017-quotes": m0017,
  "0018-feed-renames": m0018,
  "0019-delivery-record": m0019,
};

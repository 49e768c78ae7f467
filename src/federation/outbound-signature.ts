import { createHash, type KeyObject, sign } from "node:crypto";

/** The two HTTP signature specs Fedify negotiates per server (its KV remembers which one works). */
export type SignatureSpec = "rfc9421" | "draft-cavage-http-signatures-12";

export interface OutboundPost {
  readonly url: URL;
  /** The exact bytes sent. */
  readonly body: Buffer;
  readonly keyId: string;
  /** RSA private key (RSASSA-PKCS1-v1_5 with SHA-256, what Mastodon verifies). */
  readonly privateKey: KeyObject;
  readonly now: Date;
}

/**
 * The headers that sign a POST the way Fedify's `signRequest` does, computed with node:crypto:
 * draft-cavage signs `(request-target) host date digest content-type`; RFC 9421 signs
 * `@method @target-uri @authority host date content-digest` as `sig1` with
 * `alg="rsa-v1_5-sha256"`. Either verifies at Mastodon and at any Fedify server.
 */
export function signedPostHeaders(
  spec: SignatureSpec,
  post: OutboundPost,
  contentType: string,
): Record<string, string> {
  const host = post.url.host;
  const date = post.now.toUTCString();
  const digest = createHash("sha256").update(post.body).digest("base64");
  if (spec === "rfc9421") {
    const contentDigest = `sha-256=:${digest}:`;
    const components = `("@method" "@target-uri" "@authority" "host" "date" "content-digest")`;
    const created = Math.floor(post.now.getTime() / 1000);
    const params = `${components};alg="rsa-v1_5-sha256";keyid="${sfString(post.keyId)}";created=${created}`;
    const base = [
      `"@method": POST`,
      `"@target-uri": ${post.url.href}`,
      `"@authority": ${host}`,
      `"host": ${host}`,
      `"date": ${date}`,
      `"content-digest": ${contentDigest}`,
      `"@signature-params": ${params}`,
    ].join("\n");
    return {
      host,
      date,
      "content-type": contentType,
      "content-digest": contentDigest,
      "signature-input": `sig1=${params}`,
      signature: `sig1=:${rsaSha256(base, post.privateKey)}:`,
    };
  }
  const digestHeader = `SHA-256=${digest}`;
  const base = [
    `(request-target): post ${post.url.pathname}${post.url.search}`,
    `host: ${host}`,
    `date: ${date}`,
    `digest: ${digestHeader}`,
    `content-type: ${contentType}`,
  ].join("\n");
  const signature = rsaSha256(base, post.privateKey);
  return {
    host,
    date,
    "content-type": contentType,
    digest: digestHeader,
    signature: `keyId="${post.keyId}",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="${signature}"`,
  };
}

function rsaSha256(text: string, key: KeyObject): string {
  return sign("sha256", Buffer.from(text, "utf8"), key).toString("base64");
}

/** Escapes a structured-field string (RFC 8941 §3.3.3). */
function sfString(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}

/**
 * An independent fediverse peer for end-to-end tests and benchmarks: a small Mastodon-like server
 * on loopback written with `node:http`, `node:crypto` and maintained HTTP-signature libraries (no
 * Fedify, no ActivityPub library), so tests can prove that our Fedify-based server interoperates
 * over real signed HTTP.
 *
 * - `peer/http-signatures.ts`: draft-cavage (Misskey's library) and RFC 9421
 *   (`http-message-signatures`) signing and verification, on top of which the rest is built.
 * - `peer/keys.ts`: key pairs and the caching key fetcher.
 * - `peer/peer-server.ts`: `startPeerServer` (actors, WebFinger, inboxes).
 * - `peer/client.ts`: `webfinger`, `fetchActor`, `postSigned`, activity builders.
 * - `peer/peer-farm.ts`: `startPeerFarm`, many hosts on 127.0.1.x.
 * - `peer/moves.ts`: `createPeerFollows`, its users' follows and Mastodon's handling of `Move`.
 */

/** RFC 8941/9651 structured fields, under the names the peer has always exported them by. */
export {
  parseDictionary as parseSfDictionary,
  parseItem as parseSfItem,
  parseList as parseSfList,
  serializeDictionary as serializeSfDictionary,
  serializeInnerList,
  serializeItem,
  Token as SfToken,
} from "structured-headers";
export {
  activity,
  createNote,
  fetchActor,
  follow,
  getSigned,
  newActivityId,
  type PostSignedOptions,
  postSigned,
  postSignedBody,
  quoteRequest,
  type RequestOptions,
  undo,
  webfinger,
} from "./peer/client.ts";
export {
  contentDigestHeader,
  DEFAULT_MAX_SKEW_MS,
  type DigestAlgorithm,
  digestHeader,
  type HeaderInput,
  type HttpRequestLike,
  headerLines,
  type PublicKeyFetcher,
  type PublicKeyInfo,
  parseCavageSignature,
  rfc9421SignatureBase,
  type SignatureScheme,
  type SignedHeaders,
  type SignRequestInput,
  type SignRequestRfc9421Input,
  signatureSchemeOf,
  signRequest,
  signRequestRfc9421,
  type VerifyOptions,
  type VerifyResult,
  verifyCavageRequest,
  verifyRequest,
  verifyRfc9421Request,
} from "./peer/http-signatures.ts";
export {
  ACTIVITY_JSON_ACCEPT,
  createKeyFetcher,
  generatePeerKeyPair,
  idOf,
  type KeyFetcher,
  type KeyFetcherOptions,
  type PeerKeyPair,
  sharedPeerKeyPair,
} from "./peer/keys.ts";
export { createPeerFollows, type MoveOutcome, type PeerFollows } from "./peer/moves.ts";
export {
  type FarmStats,
  loopbackAddresses,
  type PeerFarm,
  type PeerFarmOptions,
  startPeerFarm,
} from "./peer/peer-farm.ts";
export {
  type Activity,
  AS_CONTEXT,
  type InboxDelivery,
  type PeerActor,
  type PeerServer,
  type PeerServerOptions,
  type PeerStats,
  PUBLIC_COLLECTION,
  type ReceivedActivity,
  type RejectedDelivery,
  SECURITY_CONTEXT,
  type SignedFetch,
  startPeerServer,
} from "./peer/peer-server.ts";

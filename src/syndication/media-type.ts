/** Image types by file extension. feed 6.0.0 derives `image/<extension>`, so `.jpg` gives the
 * unregistered `image/jpg` and an extension-less URL gives garbage such as `image//media/123`. */
const IMAGE_TYPES: Readonly<Record<string, string>> = {
  avif: "image/avif",
  bmp: "image/bmp",
  gif: "image/gif",
  heic: "image/heic",
  heif: "image/heif",
  ico: "image/vnd.microsoft.icon",
  jfif: "image/jpeg",
  jpe: "image/jpeg",
  jpeg: "image/jpeg",
  jpg: "image/jpeg",
  png: "image/png",
  svg: "image/svg+xml",
  tif: "image/tiff",
  tiff: "image/tiff",
  webp: "image/webp",
};

/** The registered MIME type of an image URL, from its path's extension; `null` if unknown. */
export function imageMediaType(url: string): string | null {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    return null;
  }
  const match = /\.([a-z0-9]+)$/i.exec(pathname);
  if (match?.[1] === undefined) return null;
  return IMAGE_TYPES[match[1].toLowerCase()] ?? null;
}

// gzip for the admin's pages, loader data and built files, as remix-serve's `compression`
// middleware gave them. The hot ingest routes skip this module: they answer a few bytes.

/** True when the client lists gzip in Accept-Encoding with a non-zero weight. */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (!header) return false;
  const value = Array.isArray(header) ? header.join(",") : header;
  for (const part of value.split(",")) {
    const [coding, ...params] = part.trim().split(";");
    const name = coding.trim().toLowerCase();
    if (name !== "gzip" && name !== "*") continue;
    const q = params
      .map((p) => p.trim())
      .find((p) => p.toLowerCase().startsWith("q="));
    if (!q || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

/** Text-like types worth compressing; images and fonts are compressed already. */
export function isCompressible(contentType: string | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(";")[0].trim().toLowerCase();
  if (type === "text/event-stream") return false;
  return (
    type.startsWith("text/") ||
    type === "image/svg+xml" ||
    /^application\/(?:[\w.+-]+\+)?(?:json|javascript|xml)$/.test(type)
  );
}

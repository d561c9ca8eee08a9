// Photos are downscaled on the phone (long edge at most 1600 px, JPEG) before they are kept or
// sent: a 12-megapixel original would take minutes on a weak network. The SHA-256 is computed
// here, over exactly the bytes that are uploaded, because the server addresses evidence by it.

export const MAX_EDGE = 1600;
export const JPEG_QUALITY = 0.85;

export interface Size {
  width: number;
  height: number;
}

/** The largest size within `maxEdge` on the long side with the same aspect ratio (never larger
 * than the original). */
export function fitWithin(size: Size, maxEdge: number = MAX_EDGE): Size {
  const longEdge = Math.max(size.width, size.height);
  if (longEdge <= maxEdge) return { width: size.width, height: size.height };
  const scale = maxEdge / longEdge;
  return {
    width: Math.max(1, Math.round(size.width * scale)),
    height: Math.max(1, Math.round(size.height * scale)),
  };
}

export async function sha256Hex(data: Blob | ArrayBuffer | Uint8Array): Promise<string> {
  const bytes =
    data instanceof Blob ? await data.arrayBuffer() : data instanceof Uint8Array ? data : new Uint8Array(data);
  const digest = await crypto.subtle.digest("SHA-256", bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Decoding and encoding images: the browser's in the app, a fake in unit tests. */
export interface ImageCodec {
  decode(file: Blob): Promise<Size & { source: unknown }>;
  encodeJpeg(source: unknown, from: Size, to: Size, quality: number): Promise<Blob>;
}

export const browserCodec: ImageCodec = {
  async decode(file) {
    // EXIF orientation is applied, so a portrait photo stays upright after the re-encode.
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    return { width: bitmap.width, height: bitmap.height, source: bitmap };
  },
  async encodeJpeg(source, _from, to, quality) {
    const bitmap = source as ImageBitmap;
    const canvas = document.createElement("canvas");
    canvas.width = to.width;
    canvas.height = to.height;
    const context = canvas.getContext("2d");
    if (!context) throw new Error("no 2D canvas");
    context.fillStyle = "#fff"; // transparent PNGs become white, not black, in JPEG
    context.fillRect(0, 0, to.width, to.height);
    context.drawImage(bitmap, 0, 0, to.width, to.height);
    bitmap.close();
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
    if (!blob) throw new Error("the photo could not be encoded");
    return blob;
  },
};

export interface PreparedPhoto {
  blob: Blob;
  sha256: string;
  width: number;
  height: number;
  mediaType: "image/jpeg";
}

export async function preparePhoto(file: Blob, codec: ImageCodec = browserCodec): Promise<PreparedPhoto> {
  const decoded = await codec.decode(file);
  const target = fitWithin(decoded);
  const blob = await codec.encodeJpeg(decoded.source, decoded, target, JPEG_QUALITY);
  return { blob, sha256: await sha256Hex(blob), width: target.width, height: target.height, mediaType: "image/jpeg" };
}

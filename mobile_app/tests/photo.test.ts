// The photo pipeline with a fake codec: what size is asked for, and that the hash is over the
// bytes that will be uploaded (the server checks exactly that).
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fitWithin, MAX_EDGE, preparePhoto, sha256Hex, type ImageCodec } from "../src/photo";

function fakeCodec(width: number, height: number) {
  const calls: Array<{ to: { width: number; height: number }; quality: number }> = [];
  const codec: ImageCodec = {
    async decode() {
      return { width, height, source: "bitmap" };
    },
    async encodeJpeg(_source, _from, to, quality) {
      calls.push({ to, quality });
      return new Blob([`jpeg ${to.width}x${to.height}`], { type: "image/jpeg" });
    },
  };
  return { codec, calls };
}

describe("the photo pipeline", () => {
  it("keeps the long edge at most 1600 px and the aspect ratio", () => {
    expect(fitWithin({ width: 4000, height: 3000 })).toEqual({ width: 1600, height: 1200 });
    expect(fitWithin({ width: 3024, height: 4032 })).toEqual({ width: 1200, height: 1600 });
    expect(fitWithin({ width: 1600, height: 900 })).toEqual({ width: 1600, height: 900 });
    expect(fitWithin({ width: 640, height: 480 })).toEqual({ width: 640, height: 480 });
    expect(fitWithin({ width: 20000, height: 10 })).toEqual({ width: 1600, height: 1 });
    expect(MAX_EDGE).toBe(1600);
  });

  it("computes the SHA-256 as the server does", async () => {
    const bytes = new TextEncoder().encode("Spotcheck");
    expect(await sha256Hex(bytes)).toBe(createHash("sha256").update("Spotcheck").digest("hex"));
    expect(await sha256Hex(new Blob([bytes]))).toBe(createHash("sha256").update("Spotcheck").digest("hex"));
  });

  it("downscales a camera photo to JPEG and hashes the re-encoded bytes", async () => {
    const { codec, calls } = fakeCodec(4032, 3024);
    const photo = await preparePhoto(new Blob(["original"]), codec);
    expect(calls).toEqual([{ to: { width: 1600, height: 1200 }, quality: 0.85 }]);
    expect(photo).toMatchObject({ width: 1600, height: 1200, mediaType: "image/jpeg" });
    expect(photo.sha256).toBe(createHash("sha256").update("jpeg 1600x1200").digest("hex"));
  });

  it("re-encodes a small photo at its own size", async () => {
    const { codec, calls } = fakeCodec(800, 600);
    await preparePhoto(new Blob(["small"]), codec);
    expect(calls[0].to).toEqual({ width: 800, height: 600 });
  });
});

/**
 * The image copies labellers see: every image (candidate, positive or negative control) is served
 * as a SIZE×SIZE JPEG (longer side scaled up or down to SIZE, centred on mid grey, quality 85, no metadata),
 * so URLs, markup, pixel sizes and headers carry nothing that tells candidates from controls.
 * Copies are cached under `<workspace>/.cache/thumbs/<size>/`, named by a hash of the image id.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { sha1Hex } from '../core/index.ts';
import { encodeJpeg, imageInfo, resizeExact, type RgbImage } from '../formats/index.ts';

/** Pads an image to size×size on mid grey, centred. */
export function padToSquare(image: RgbImage, size: number): RgbImage {
  const data = new Uint8Array(size * size * 3).fill(128);
  const x0 = Math.floor((size - image.width) / 2);
  const y0 = Math.floor((size - image.height) / 2);
  for (let y = 0; y < image.height; y++) {
    const src = y * image.width * 3;
    data.set(image.data.subarray(src, src + image.width * 3), ((y + y0) * size + x0) * 3);
  }
  return { data, width: size, height: size };
}

/**
 * The absolute path of an image file stored in the database. Relative paths must stay inside the
 * workspace (a stored "../x" is refused); absolute paths are used as stored. Null when refused.
 */
export function storedImagePath(workspaceDir: string, stored: string): string | null {
  if (isAbsolute(stored)) return stored;
  const full = resolve(workspaceDir, stored);
  const rel = relative(workspaceDir, full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  return full;
}

/** Makes and caches thumbnails; concurrent requests for one image share one encode. */
export class Thumbnails {
  private readonly pending = new Map<string, Promise<Buffer>>();
  private readonly dir: string;

  constructor(
    workspaceDir: string,
    private readonly size: number,
  ) {
    this.dir = join(workspaceDir, '.cache', 'thumbs', String(size));
  }

  /** The thumbnail bytes of `imageId`, whose display copy is at `sourcePath`. */
  get(imageId: string, sourcePath: string): Promise<Buffer> {
    const file = join(this.dir, `${sha1Hex(imageId)}.jpg`);
    const inFlight = this.pending.get(file);
    if (inFlight) return inFlight;
    const work = (async () => {
      if (existsSync(file)) return readFileSync(file);
      const info = await imageInfo(sourcePath);
      const scale = this.size / Math.max(info.width, info.height);
      const width = Math.max(1, Math.min(this.size, Math.round(info.width * scale)));
      const height = Math.max(1, Math.min(this.size, Math.round(info.height * scale)));
      const scaled = await resizeExact(sourcePath, width, height, 'bicubic');
      const bytes = await encodeJpeg(padToSquare(scaled, this.size), 85);
      mkdirSync(this.dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, file);
      return bytes;
    })().finally(() => this.pending.delete(file));
    this.pending.set(file, work);
    return work;
  }
}

/** Small generated images and workspaces for collect tests (no downloads). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClassDef } from '../../src/classes/index.ts';
import { encodeJpeg, encodePng, type RgbImage } from '../../src/formats/index.ts';
import { type Workspace } from '../../src/workspace/index.ts';
import { createWorkspace } from '../../src/app/workspace-stores.ts';

export const tmp = (prefix = 'retest-collect-') => mkdtempSync(join(tmpdir(), prefix));

/** Left half `left`, right half `right`, plus a faint gradient so images differ by seed. */
export function twoTone(width: number, height: number, left: [number, number, number], right: [number, number, number], seed = 0): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = x < width / 2 ? left : right;
      const o = (y * width + x) * 3;
      data[o] = c[0];
      data[o + 1] = Math.min(255, c[1] + ((x + y + seed) % 7));
      data[o + 2] = c[2];
    }
  }
  return { data, width, height };
}

export const RED: [number, number, number] = [220, 20, 20];
export const BLUE: [number, number, number] = [20, 20, 220];

export async function jpeg(width: number, height: number, seed = 0): Promise<Buffer> {
  return encodeJpeg(twoTone(width, height, RED, BLUE, seed), 92);
}

export async function png(width: number, height: number, seed = 0): Promise<Buffer> {
  return encodePng(twoTone(width, height, RED, BLUE, seed));
}

/** Inserts an EXIF APP1 segment with the given Orientation tag after SOI (and APP0, if any). */
export function withExifOrientation(jpegBytes: Buffer, orientation: number): Buffer {
  const tiff = Buffer.alloc(26);
  tiff.write('II', 0, 'ascii');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(1, 8); // one IFD entry
  tiff.writeUInt16LE(0x0112, 10); // Orientation
  tiff.writeUInt16LE(3, 12); // SHORT
  tiff.writeUInt32LE(1, 14);
  tiff.writeUInt16LE(orientation, 18);
  tiff.writeUInt32LE(0, 22); // no next IFD
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xffe1, 0);
  header.writeUInt16BE(payload.length + 2, 2);
  let at = 2;
  if (jpegBytes[2] === 0xff && jpegBytes[3] === 0xe0) at = 4 + jpegBytes.readUInt16BE(4);
  return Buffer.concat([jpegBytes.subarray(0, at), header, payload, jpegBytes.subarray(at)]);
}

/** Number of colour components in a baseline/progressive JPEG's frame header (3 = colour, 1 = grey). */
export function jpegComponents(bytes: Buffer): number {
  for (let i = 2; i < bytes.length - 9; ) {
    if (bytes[i] !== 0xff) return -1;
    const marker = bytes[i + 1]!;
    if (marker >= 0xc0 && marker <= 0xc2) return bytes[i + 9]!;
    i += 2 + bytes.readUInt16BE(i + 2);
  }
  return -1;
}

export const FISH: ClassDef[] = [
  { index: 0, id: 'tench', names: ['tench', 'Tinca tinca'], definition: 'a fish', urls: [], hypernyms: [], similar: ['goldfish'] },
  { index: 1, id: 'goldfish', names: ['goldfish'], definition: 'another fish', urls: [], hypernyms: [], similar: ['tench'] },
];

export function fishWorkspace(): Promise<Workspace> {
  return createWorkspace(join(tmp(), 'ws'), { classes: FISH });
}

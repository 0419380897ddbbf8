import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNpy, npyArray, NpyFileWriter, readNpy } from '../../src/formats/index.ts';

describe('NpyFileWriter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retest-npy-writer-'));

  it('writes in pieces exactly the bytes np.save (encodeNpy) writes for the whole array', () => {
    const data = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i / 7);
    const path = join(dir, 'a.npy');
    const writer = new NpyFileWriter(path, '<f4', [2, 3, 4]);
    expect(existsSync(path)).toBe(false);
    writer.write(data.subarray(0, 12));
    writer.write(data.subarray(12));
    writer.finish();
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(encodeNpy(npyArray('<f4', [2, 3, 4], data))))).toBe(true);
    expect(Array.from(readNpy(path).data as Float32Array)).toEqual(Array.from(data));
  });

  it('refuses to finish an incomplete array and leaves no file behind; refuses extra data', () => {
    const path = join(dir, 'short.npy');
    const writer = new NpyFileWriter(path, '|u1', [4, 2]);
    writer.write(new Uint8Array(6));
    expect(() => writer.write(new Uint8Array(4))).toThrow(/more data than the array shape holds/);
    expect(() => writer.finish()).toThrow(/incomplete/);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('short'))).toEqual([]);
  });
});

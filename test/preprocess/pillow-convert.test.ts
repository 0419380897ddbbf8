/**
 * Pillow's convert('RGB') on decoded samples, with values worked out by hand from Convert.c.
 */
import { describe, expect, it } from 'vitest';
import type { DecodedSamples } from '../../src/formats/index.ts';
import { pillowConvertRgb } from '../../src/preprocess/index.ts';

const samples = (over: Partial<DecodedSamples> & Pick<DecodedSamples, 'data' | 'channels' | 'colour'>): DecodedSamples => ({
  width: over.data.length / over.channels,
  height: 1,
  hasAlpha: false,
  bits: over.data instanceof Uint16Array ? 16 : 8,
  format: 'png',
  ...over,
});

describe('pillowConvertRgb', () => {
  it('CMYK: nk = 255 − K, R = nk − MULDIV255(C, nk): white, pure cyan, black, and (128, 64, 0, 51) → (102, 153, 204)', () => {
    // MULDIV255(128, 204): t = 26240, (t >> 8) = 102, (102 + 26240) >> 8 = 102 → 204 − 102 = 102.
    const data = Uint8Array.from([0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 255, 128, 64, 0, 51]);
    expect(Array.from(pillowConvertRgb(samples({ data, channels: 4, colour: 'cmyk' })).data)).toEqual([255, 255, 255, 0, 255, 255, 0, 0, 0, 102, 153, 204]);
  });

  it('grey and grey + alpha: the value three times, alpha ignored', () => {
    expect(Array.from(pillowConvertRgb(samples({ data: Uint8Array.from([7, 200]), channels: 1, colour: 'grey' })).data)).toEqual([7, 7, 7, 200, 200, 200]);
    expect(Array.from(pillowConvertRgb(samples({ data: Uint8Array.from([7, 0, 200, 255]), channels: 2, colour: 'grey', hasAlpha: true })).data)).toEqual([
      7, 7, 7, 200, 200, 200,
    ]);
  });

  it('RGBA: alpha dropped, colour kept even where fully transparent', () => {
    expect(
      Array.from(pillowConvertRgb(samples({ data: Uint8Array.from([1, 2, 3, 0, 250, 251, 252, 128]), channels: 4, colour: 'rgb', hasAlpha: true })).data),
    ).toEqual([1, 2, 3, 250, 251, 252]);
  });

  it('16 bits: grey alone clips at 255 (I;16 → RGB), everything else keeps the high byte', () => {
    expect(
      Array.from(pillowConvertRgb(samples({ data: Uint16Array.from([254, 255, 256, 65535]), channels: 1, colour: 'grey' })).data.filter((_, i) => i % 3 === 0)),
    ).toEqual([254, 255, 255, 255]);
    expect(Array.from(pillowConvertRgb(samples({ data: Uint16Array.from([0x12ff, 0xffff]), channels: 2, colour: 'grey', hasAlpha: true })).data)).toEqual([
      0x12, 0x12, 0x12,
    ]);
    expect(
      Array.from(pillowConvertRgb(samples({ data: Uint16Array.from([0x0100, 0x00ff, 0xfedc, 0x8000]), channels: 4, colour: 'rgb', hasAlpha: true })).data),
    ).toEqual([1, 0, 0xfe]);
  });
});

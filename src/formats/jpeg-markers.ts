/**
 * Reading JPEG marker segments without decoding: enough to tell whether a file carries Adobe's
 * APP14 segment, which decides how decoders read CMYK samples (Adobe writes them inverted).
 */

/** Whether the JPEG has an APP14 segment starting with "Adobe" before its first scan (libjpeg's saw_Adobe_marker). */
export function jpegHasAdobeMarker(bytes: Uint8Array): boolean {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return false;
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return false;
    const marker = bytes[p + 1]!;
    // Fill bytes before a marker.
    if (marker === 0xff) {
      p++;
      continue;
    }
    // Markers without a length: TEM and RSTn.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2;
      continue;
    }
    // Start of scan or end of image: the header segments are over.
    if (marker === 0xda || marker === 0xd9) return false;
    const length = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    if (length < 2) return false;
    // libjpeg counts the segment only with its full 12 bytes of data (APP14_DATA_LEN).
    if (marker === 0xee && length - 2 >= 12) {
      const s = p + 4;
      if (bytes[s] === 0x41 && bytes[s + 1] === 0x64 && bytes[s + 2] === 0x6f && bytes[s + 3] === 0x62 && bytes[s + 4] === 0x65) return true;
    }
    p += 2 + length;
  }
  return false;
}

import { describe, expect, it } from 'vitest';
import { NounDatabase, nltkDefinition, parseDataLine, pathSimilarity } from '../../src/classes/wordnet.ts';

/** Builds a tiny data.noun whose offsets are the byte offsets of its lines, as in WordNet. */
function tinyDataNoun(synsets: { key: string; words: string[]; hypernyms: string[]; gloss: string }[]): { bytes: Buffer; wnid: Record<string, string> } {
  const header = '  1 a license header line  \n';
  // Offsets depend on line lengths, which depend on offsets (8 digits each): fixed width makes one pass enough.
  const offsets: Record<string, number> = {};
  let position = header.length;
  const lineFor = (s: (typeof synsets)[number], off: (k: string) => string) =>
    `${off(s.key)} 05 n ${s.words.length.toString(16).padStart(2, '0')} ${s.words.map((w) => `${w} 0`).join(' ')} ${String(s.hypernyms.length).padStart(3, '0')}${s.hypernyms.map((h) => ` @ ${off(h)} n 0000`).join('')} | ${s.gloss}  \n`;
  const zero = () => '00000000';
  for (const s of synsets) {
    offsets[s.key] = position;
    position += Buffer.byteLength(lineFor(s, zero));
  }
  const off = (k: string) => String(offsets[k]).padStart(8, '0');
  const body = synsets.map((s) => lineFor(s, off)).join('');
  const wnid: Record<string, string> = {};
  for (const k of Object.keys(offsets)) wnid[k] = `n${off(k)}`;
  return { bytes: Buffer.from(header + body), wnid };
}

describe('parseDataLine', () => {
  it('reads lemmas (underscores → spaces), pointers and gloss of a real data.noun line', () => {
    const line =
      '01484850 05 n 05 great_white_shark 0 white_shark 0 man-eater 0 man-eating_shark 0 Carcharodon_carcharias 0 002 @ 01483522 n 0000 #m 01484717 n 0000 | large aggressive shark widespread in warm seas; known to attack humans  ';
    expect(parseDataLine(line)).toEqual({
      wnid: 'n01484850',
      lemmas: ['great white shark', 'white shark', 'man-eater', 'man-eating shark', 'Carcharodon carcharias'],
      gloss: 'large aggressive shark widespread in warm seas; known to attack humans',
      definition: 'large aggressive shark widespread in warm seas; known to attack humans',
      hypernyms: ['n01483522'],
    });
  });

  it('reads a hexadecimal word count and instance hypernyms after ordinary ones', () => {
    const words = Array.from({ length: 11 }, (_, i) => `w${i} 0`).join(' ');
    const s = parseDataLine(`00000100 05 n 0b ${words} 002 @i 00000200 n 0000 @ 00000300 n 0000 | g  `);
    expect(s.lemmas).toHaveLength(11);
    expect(s.hypernyms).toEqual(['n00000300', 'n00000200']);
  });

  it('rejects a line that is not a noun synset', () => {
    expect(() => parseDataLine('  1 This software and database')).toThrow(/malformed data.noun line/);
  });
});

describe('nltkDefinition', () => {
  it('drops quoted examples and trailing separators as NLTK does', () => {
    expect(nltkDefinition('uncastrated adult male sheep; "a British term is `tup\'"  ')).toBe('uncastrated adult male sheep');
    expect(nltkDefinition('a; b')).toBe('a; b');
  });
});

describe('NounDatabase and pathSimilarity', () => {
  const { bytes, wnid } = tinyDataNoun([
    { key: 'entity', words: ['entity'], hypernyms: [], gloss: 'root' },
    { key: 'animal', words: ['animal'], hypernyms: ['entity'], gloss: 'a' },
    { key: 'fish', words: ['fish'], hypernyms: ['animal'], gloss: 'f' },
    { key: 'tench', words: ['tench', 'Tinca_tinca'], hypernyms: ['fish'], gloss: 't' },
    { key: 'goldfish', words: ['goldfish'], hypernyms: ['fish'], gloss: 'g' },
    { key: 'pet', words: ['pet'], hypernyms: ['entity'], gloss: 'p' },
    { key: 'petfish', words: ['pet_fish'], hypernyms: ['pet', 'goldfish'], gloss: 'pf' },
  ]);
  const db = new NounDatabase(bytes);
  const id = (k: string) => wnid[k] as string;

  it('reads synsets by byte offset', () => {
    expect(db.synset(id('tench')).lemmas).toEqual(['tench', 'Tinca tinca']);
    expect(() => db.synset('n00000003')).toThrow(/does not start a synset line|malformed/);
  });

  it('records the shortest depth of every ancestor (breadth first, two parents)', () => {
    const depths = db.ancestorDepths(id('petfish'));
    expect(Object.fromEntries([...depths].map(([k, v]) => [Object.keys(wnid).find((n) => wnid[n] === k), v]))).toEqual({
      petfish: 0,
      pet: 1,
      goldfish: 1,
      entity: 2,
      fish: 2,
      animal: 3,
    });
  });

  it('is 1 / (shortest path + 1)', () => {
    const a = (k: string) => db.ancestorDepths(id(k));
    expect(pathSimilarity(a('tench'), a('tench'))).toBe(1);
    expect(pathSimilarity(a('tench'), a('goldfish'))).toBeCloseTo(1 / 3, 12);
    expect(pathSimilarity(a('tench'), a('petfish'))).toBeCloseTo(1 / 4, 12); // tench–fish–goldfish–petfish
    // Only through common ancestors (pet–entity–animal–fish–tench, 4 edges), never down through pet fish.
    expect(pathSimilarity(a('pet'), a('tench'))).toBeCloseTo(1 / 5, 12);
  });
});

/**
 * File-system edges shared by every stage: reading a text or JSON file and creating an output
 * folder, with faults reported as RetestErrors that name the file (never a stack trace).
 */
import { accessSync, constants, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { dataError, fromSystemError, ioError, preview } from './errors.ts';

/** The text of a file (UTF-8). A missing or unreadable file is an io error naming it. */
export function readTextFile(file: string, what = 'file'): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    const fault = fromSystemError(cause, file);
    throw ioError(`cannot read the ${what}: ${fault?.message ?? (cause as Error).message}`, {
      file,
      ...(fault?.received ? { received: fault.received } : {}),
      hint: (cause as { code?: string }).code === 'ENOENT' ? 'check the path' : (fault?.hint ?? 'check the path and its permissions'),
      cause,
    });
  }
}

/** Parses JSON text; a syntax error is a data error naming the file and the line and column. */
export function parseJsonText(text: string, file: string, expected = 'valid JSON'): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    const message = (cause as Error).message;
    // V8: "… in JSON at position 17 (line 2 column 5)" (Node 20+), or only the position.
    // Node 20's messages do not always carry the position: find it with a small scanner.
    const offset = jsonErrorOffset(text);
    const before = text.slice(0, offset);
    const where = { record: `line ${before.split('\n').length}`, field: `column ${offset - before.lastIndexOf('\n')}` };
    throw dataError('not valid JSON', {
      file,
      ...where,
      expected,
      received: text.trim() === '' ? 'an empty file' : preview(message, 120),
      hint: 'fix the JSON syntax (a trailing comma, a missing quote or bracket?)',
      cause,
    });
  }
}

/**
 * Offset of the first JSON syntax error in `text` (a small recursive-descent scanner that accepts
 * exactly JSON's grammar); `text.length` when the text ends too early.
 */
export function jsonErrorOffset(text: string): number {
  const scanner = new JsonScanner(text);
  try {
    scanner.value();
    scanner.space();
    return Math.min(scanner.at, text.length);
  } catch (offset) {
    if (typeof offset !== 'number') throw offset;
    return Math.min(offset, text.length);
  }
}

/** The scanner behind `jsonErrorOffset`: each method consumes one production and throws its offset on a mismatch. */
class JsonScanner {
  at = 0;
  constructor(private readonly text: string) {}

  private fail(): never {
    throw this.at;
  }

  space(): void {
    while (this.at < this.text.length && ' \t\n\r'.includes(this.text[this.at]!)) this.at++;
  }

  /** Consumes `char` when it is next (after white space) and says whether it was. */
  private take(char: string): boolean {
    this.space();
    if (this.text[this.at] !== char) return false;
    this.at++;
    return true;
  }

  value(): void {
    this.space();
    const c = this.text[this.at];
    if (c === '{') this.members();
    else if (c === '[') this.elements();
    else if (c === '"') this.string();
    else if (c === 't') this.literal('true');
    else if (c === 'f') this.literal('false');
    else if (c === 'n') this.literal('null');
    else this.number();
  }

  private members(): void {
    this.at++;
    if (this.take('}')) return;
    for (;;) {
      this.space();
      if (this.text[this.at] !== '"') this.fail();
      this.string();
      if (!this.take(':')) this.fail();
      this.value();
      if (this.take(',')) continue;
      if (this.take('}')) return;
      this.fail();
    }
  }

  private elements(): void {
    this.at++;
    if (this.take(']')) return;
    for (;;) {
      this.value();
      if (this.take(',')) continue;
      if (this.take(']')) return;
      this.fail();
    }
  }

  private literal(word: string): void {
    if (this.text.startsWith(word, this.at)) this.at += word.length;
    else this.fail();
  }

  private string(): void {
    this.at++;
    for (;;) {
      if (this.at >= this.text.length) this.fail();
      const c = this.text[this.at]!;
      if (c === '"') {
        this.at++;
        return;
      }
      if (c < ' ') this.fail();
      if (c === '\\') this.escape();
      else this.at++;
    }
  }

  private escape(): void {
    this.at++;
    if (this.text[this.at] === 'u') {
      if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.at + 1, this.at + 5))) this.fail();
      this.at += 5;
    } else if ('"\\/bfnrt'.includes(this.text[this.at] ?? 'x')) this.at++;
    else this.fail();
  }

  private number(): void {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.at));
    if (!m || m[0] === '-' || m[0] === '') this.fail();
    this.at += m[0].length;
  }
}

/** `readTextFile` + `parseJsonText`. */
export function readJsonFile(file: string, what = 'JSON file', expected = 'valid JSON'): unknown {
  return parseJsonText(readTextFile(file, what), file, expected);
}

/**
 * Creates `path` (and missing parents) as a writable folder, or says precisely why it cannot:
 * a part of the path is a file, the nearest existing folder is not writable, the file system
 * refuses. Folders are created one level at a time (never `mkdir -p`: Node's recursive mkdir
 * loops forever on some paths, such as under /proc). `option` names the flag in errors.
 */
export function makeDirectory(path: string, option?: string): string {
  const target = resolve(path);
  const missing: string[] = [];
  let existing = target;
  for (;;) {
    let stats;
    try {
      stats = statSync(existing);
    } catch (cause) {
      if ((cause as { code?: string }).code !== 'ENOENT') throw folderError(target, existing, cause, option);
      missing.push(existing);
      const parent = dirname(existing);
      if (parent === existing) throw folderError(target, existing, cause, option);
      existing = parent;
      continue;
    }
    if (!stats.isDirectory()) {
      throw ioError(`cannot create the folder ${target}: ${existing} is a file, not a folder`, {
        file: existing,
        ...(option ? { field: option } : {}),
        expected: 'a folder (or a path that does not exist yet)',
        received: 'a file',
        hint: 'choose another path',
      });
    }
    break;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (cause) {
      if ((cause as { code?: string }).code === 'EEXIST' && statSync(folder).isDirectory()) continue;
      throw folderError(target, folder, cause, option);
    }
  }
  try {
    accessSync(target, constants.W_OK);
  } catch (cause) {
    throw folderError(target, target, cause, option);
  }
  return target;
}

function folderError(target: string, at: string, cause: unknown, option: string | undefined) {
  const code = (cause as { code?: string }).code;
  if (code === 'ENOENT' && (cause as { syscall?: string }).syscall === 'mkdir') {
    // The parent exists, yet mkdir says ENOENT: a virtual file system (/proc, /sys) that takes no folders.
    return ioError(`cannot create the folder ${target}: this file system does not allow creating folders in ${dirname(at)}`, {
      file: at,
      ...(option ? { field: option } : {}),
      received: code,
      hint: 'choose a path on a normal, writable disk',
      cause,
    });
  }
  const fault = fromSystemError(cause, at);
  return ioError(`cannot create or write the folder ${target}: ${fault?.message ?? (cause as Error).message}`, {
    file: at,
    ...(option ? { field: option } : {}),
    ...(fault?.received ? { received: fault.received } : {}),
    hint: fault?.hint ?? 'choose a writable path',
    cause,
  });
}

import { describe, expect, it } from 'vitest';
import { buildFullProgram } from '../../src/app/main.ts';
import { unwrapSentences } from '../../src/cli/main.ts';

describe('help text wrapping', () => {
  it('rejoins a sentence broken in the source, keeps breaks after . and : and around indented lines', () => {
    expect(unwrapSentences('Runs a model on a .bin file, an NPY\npair or a folder.\nResumes.')).toBe(
      'Runs a model on a .bin file, an NPY pair or a folder.\nResumes.',
    );
    expect(unwrapSentences('Formats:\n  csv  one\n  npy  two\nEverything in one\ntransaction.')).toBe(
      'Formats:\n  csv  one\n  npy  two\nEverything in one transaction.',
    );
    expect(unwrapSentences('a\n\nb')).toBe('a\n\nb');
  });

  it('eval --help reflows its description to the width and names the env variable once', async () => {
    const evalCommand = (await buildFullProgram()).commands.find((c) => c.name() === 'eval')!;
    const help = evalCommand.helpInformation();
    const description = help.split('\n\n')[1]!.split('\n');
    expect(description[0]).toBe('Runs an ONNX classifier on a test set (a name like cifar10-test, or a path to a');
    expect(help).not.toContain('(env RETEST_DATA_DIR) (env: RETEST_DATA_DIR)');
  });
});

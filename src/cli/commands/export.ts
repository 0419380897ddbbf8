/** `retest export imagenetv2 OUT` / `retest export npy PREFIX`: write a revision for release (DESIGN §1.7). */
import { Option, type Command } from 'commander';
import { exportImageFolder, exportNpy } from '../../export/index.ts';
import { workspaceOption } from '../../workspace/index.ts';
import type { App, ExportFolderJson, ExportNpyJson } from '../types.ts';
import { jsonOption, positiveInt, printJson } from '../options.ts';

interface Options {
  workspace?: string;
  json?: boolean;
  revision?: number;
  allowInvalid?: boolean;
}

export function register(program: Command, app: App): void {
  const group = program.command('export').description('write a sample revision as a test set others can load (read back by `retest eval`)');
  const common = (cmd: Command) =>
    cmd
      .addOption(new Option('--revision <id>', 'revision (default: the latest)').argParser(positiveInt('--revision')))
      .option('--allow-invalid', 'export a revision with short classes anyway')
      .addOption(workspaceOption())
      .addOption(jsonOption());
  common(
    group.command('imagenetv2').description('folders <class_index>/<image_id>.jpeg (500-px copies) + manifest.json').argument('<out>', 'new or empty folder'),
  ).action(async (out: string, options: Options) => {
    await app.withWorkspaceStores(options.workspace, async ({ workspace: ws, sample, catalog }) => {
      const m = await exportImageFolder({ sample, catalog }, out, {
        workspaceDir: ws.dir,
        revision: options.revision ?? 'latest',
        allowInvalid: options.allowInvalid ?? false,
      });
      if (options.json) printJson({ out, count: m.count, revision: m.revision.id, manifest: `${out}/manifest.json` } satisfies ExportFolderJson);
      else process.stdout.write(`wrote ${m.count} images of revision ${m.revision.id} to ${out} (manifest.json)\n`);
    });
  });
  common(
    group
      .command('npy')
      .description('CIFAR-10.1 layout: <prefix>_data.npy uint8 (N,32,32,3) + <prefix>_labels.npy int32 + <prefix>_manifest.json')
      .argument('<prefix>', 'e.g. out/cifar10.2'),
  ).action(async (prefix: string, options: Options) => {
    await app.withWorkspaceStores(options.workspace, async ({ workspace: ws, sample, catalog }) => {
      const m = await exportNpy({ sample, catalog }, prefix, {
        workspaceDir: ws.dir,
        revision: options.revision ?? 'latest',
        allowInvalid: options.allowInvalid ?? false,
      });
      if (options.json) printJson({ prefix, count: m.count, revision: m.revision.id, files: m.files } satisfies ExportNpyJson);
      else process.stdout.write(`wrote ${m.count} images of revision ${m.revision.id} to ${prefix}_data.npy / _labels.npy / _manifest.json\n`);
    });
  });
}

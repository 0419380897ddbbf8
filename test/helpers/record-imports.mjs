// Loaded with `node --import` by the start-up test: records every module the process resolves
// (ESM import and CommonJS require) to the file named by $RETEST_RECORD_IMPORTS, one per line.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import Module from 'node:module';

const out = process.env.RETEST_RECORD_IMPORTS;
if (out) {
  register('data:text/javascript,' + encodeURIComponent(`
    import { appendFileSync } from 'node:fs';
    export async function resolve(specifier, context, next) {
      const result = await next(specifier, context);
      appendFileSync(${JSON.stringify(out)}, result.url + '\\n');
      return result;
    }`));
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    appendFileSync(out, `require:${request}\n`);
    return load.call(this, request, parent, isMain);
  };
}

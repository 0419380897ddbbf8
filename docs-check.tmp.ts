import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { globSync } from 'node:fs';
const files = process.argv.slice(2);
let total = 0, missing = 0;
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node, owner: string) => {
    if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) owner = node.name.text;
    if (ts.isPropertySignature(node)) {
      total++;
      const hasDoc = ts.getJSDocCommentsAndTags(node).length > 0;
      if (!hasDoc) { missing++; console.log(`${f}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${owner}.${node.name.getText()}`); }
    }
    ts.forEachChild(node, (c) => visit(c, owner));
  };
  visit(sf, '');
}
console.log('total', total, 'missing', missing);

/**
 * No import cycle between the package's modules. A cycle makes a module see another's exports as
 * undefined while both load (the plan once read an exported const as undefined under ts-node,
 * from config <-> apps). Only `import type` / `export type` are exempt: the compiler erases them.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.join(__dirname, "..", "..");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** The package-local modules a file loads at run time. */
export function runtimeImports(file: string): string[] {
  const src = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, false);
  const out: string[] = [];
  for (const s of src.statements) {
    let spec: ts.Expression | undefined;
    if (ts.isImportDeclaration(s) && !s.importClause?.isTypeOnly) spec = s.moduleSpecifier;
    if (ts.isExportDeclaration(s) && !s.isTypeOnly) spec = s.moduleSpecifier;
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith(".")) continue;
    const base = path.resolve(path.dirname(file), spec.text);
    const target = [`${base}.ts`, path.join(base, "index.ts")].find((f) => fs.existsSync(f));
    if (target) out.push(target);
  }
  return out;
}

/** Every cycle found by a depth-first walk, each as the list of files around it. */
export function findCycles(files: string[]): string[][] {
  const graph = new Map(files.map((f) => [f, runtimeImports(f)]));
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === "open") cycles.push([...stack.slice(stack.indexOf(g)), g].map((x) => path.relative(ROOT, x)));
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles;
}

test("the components and the program import no module that imports them back", () => {
  const files = [path.join(ROOT, "index.ts"), ...sourceFiles(path.join(ROOT, "components")), ...sourceFiles(path.join(ROOT, "scripts"))];
  expect(findCycles(files)).toEqual([]);
});

test("the check sees a cycle, and sees through type-only imports", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-cycle-"));
  fs.writeFileSync(path.join(dir, "a.ts"), 'import { b } from "./b";\nexport const a = b;\n');
  fs.writeFileSync(path.join(dir, "b.ts"), 'import { c } from "./c";\nexport const b = c;\n');
  fs.writeFileSync(path.join(dir, "c.ts"), 'import type { A } from "./a";\nexport const c = 1;\nexport type C = A;\n');
  expect(findCycles(["a", "b", "c"].map((n) => path.join(dir, `${n}.ts`)))).toEqual([]);
  fs.writeFileSync(path.join(dir, "c.ts"), 'import { a } from "./a";\nexport const c = () => a;\n');
  expect(findCycles(["a", "b", "c"].map((n) => path.join(dir, `${n}.ts`))).map((c) => c.map((f) => path.basename(f)))).toEqual([
    ["a.ts", "b.ts", "c.ts", "a.ts"],
  ]);
  fs.rmSync(dir, { recursive: true, force: true });
});

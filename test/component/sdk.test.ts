/**
 * The Python and Go SDKs under sdk/ are exactly what Pulumi's code generators (scripts/sdkgen,
 * github.com/pulumi/pulumi/pkg/v3 codegen/python and codegen/go) make from the committed
 * schema.json, which test/component/schema-file.test.ts ties to the code. After changing a
 * component: `npm run schema && npm run sdk`.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
let out: string;

/** What installing and importing the SDKs leaves beside them (the generated .gitignore's entries). */
const INSTALL_LEFTOVERS = /(^|\/)(__pycache__|[^/]+\.egg-info|build|dist|\.mypy_cache)(\/|$)|\.pyc$/;

/** Every file under dir, as relative paths, sorted. */
function files(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile() && !INSTALL_LEFTOVERS.test(path.relative(dir, path.join(e.parentPath, e.name))))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

beforeAll(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-workbench-sdkgen-"));
  const gen = spawnSync("go", ["run", ".", "-schema", path.join(ROOT, "schema.json"), "-out", out], {
    cwd: path.join(ROOT, "scripts", "sdkgen"),
    encoding: "utf8",
  });
  if (gen.status !== 0) throw new Error(`scripts/sdkgen failed (${gen.status}): ${gen.error?.message ?? ""}${gen.stderr}`);
  expect(gen.stdout).toMatch(/^sdk\/python: \d+ files\nsdk\/go: \d+ files\n$/);
}, 600_000);

afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

test.each(["python", "go"])("sdk/%s is exactly what the code generator makes from schema.json", (language) => {
  const committed = path.join(ROOT, "sdk", language);
  const generated = path.join(out, language);
  expect(files(committed)).toEqual(files(generated));
  for (const file of files(generated)) {
    expect([file, fs.readFileSync(path.join(committed, file), "utf8")]).toEqual([file, fs.readFileSync(path.join(generated, file), "utf8")]);
  }
});

test("the SDKs carry the package's name and version and the Workbench's type token", () => {
  const plugin = { resource: true, name: "gpu-workbench", version: "0.1.0" };
  expect(JSON.parse(fs.readFileSync(path.join(ROOT, "sdk", "python", "pulumi_gpu_workbench", "pulumi-plugin.json"), "utf8"))).toEqual(plugin);
  expect(JSON.parse(fs.readFileSync(path.join(ROOT, "sdk", "go", "gpuworkbench", "pulumi-plugin.json"), "utf8"))).toEqual(plugin);
  expect(fs.readFileSync(path.join(ROOT, "sdk", "python", "pulumi_gpu_workbench", "workbench.py"), "utf8")).toContain(
    `super(Workbench, __self__).__init__(\n            'gpu-workbench:index:Workbench',`,
  );
  expect(fs.readFileSync(path.join(ROOT, "sdk", "go", "gpuworkbench", "workbench.go"), "utf8")).toContain(
    `ctx.RegisterRemoteComponentResource("gpu-workbench:index:Workbench", name, args, &resource, opts...)`,
  );
});

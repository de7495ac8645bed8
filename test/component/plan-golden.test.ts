/**
 * The plan of every stack in stacks/, whole, against its recorded snapshot: a refactor that
 * changes what `pulumi up` would send (a resource, a name, an input, an output) fails here.
 * A deliberate change updates the snapshot (`npx jest test/component/plan-golden -u`) and the
 * diff shows exactly what changed in every stack.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expectedPlanStderr } from "../support/planWarnings";

const ROOT = path.join(__dirname, "..", "..");
const STACKS = fs
  .readdirSync(path.join(ROOT, "stacks"))
  .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
  .map((f) => f.slice(7, -5))
  .sort();

test.each(STACKS)(
  "the plan of stack %s is the recorded one",
  (stack) => {
    // Through a file, not a pipe: the comparison must see the whole plan, however long.
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gw-golden-")), "plan.json");
    const fd = fs.openSync(out, "w");
    const r = spawnSync(process.execPath, ["--require", "@swc-node/register", "scripts/plan.ts", "--stack", stack, "--json"], {
      cwd: ROOT,
      stdio: ["ignore", fd, "pipe"],
      encoding: "utf8",
      timeout: 90_000,
    });
    fs.closeSync(fd);
    expect([r.status, r.stderr]).toEqual([0, expectedPlanStderr(stack)]);
    const plan = JSON.parse(fs.readFileSync(out, "utf8"));
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
    expect(plan).toMatchSnapshot();
  },
  120_000,
);

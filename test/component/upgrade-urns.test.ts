/**
 * An upgrade replaces nothing: every resource URN that gpu-workbench 0.1.0 planned for a stack in
 * stacks/ (test/fixtures/urns-0.1.0.json, recorded from commit c2315fb) is either planned again
 * with the same URN or answered by an alias, computed the way the engine does: a resource answers
 * to its URN, its own aliases, and its URN under each alias of its parent (a child's URN carries
 * its parent's type). A data disk is never among the URNs that would be replaced.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { expectedPlanStderr } from "../support/planWarnings";
import type { Registration } from "../../scripts/lib/mocks";

type Reg = Pick<Registration, "type" | "name" | "parent" | "urn" | "custom" | "aliases">;

const ROOT = path.join(__dirname, "..", "..");
const OLD = JSON.parse(fs.readFileSync(path.join(ROOT, "test", "fixtures", "urns-0.1.0.json"), "utf8")) as { stacks: Record<string, string[]> };

/** urn:pulumi:<stack>::<project>::<qualified type>::<name> -> its parts. */
function parts(urn: string): { prefix: string; qualifiedType: string; name: string } {
  const m = /^(urn:pulumi:[^:]+::[^:]+)::(.+)::([^:]+)$/.exec(urn);
  if (!m) throw new Error(`not a URN: ${urn}`);
  return { prefix: m[1], qualifiedType: m[2], name: m[3] };
}

/** Every URN each registration answers to (its own and its aliases'), by URN. */
function answeringUrns(regs: Reg[]): Map<string, Set<string>> {
  const byUrn = new Map(regs.map((r) => [r.urn, r]));
  const parentUrn = new Map<string, string | undefined>();
  for (const r of regs) parentUrn.set(r.urn, r.parent === undefined ? undefined : regs.find((p) => p.name === r.parent && !p.custom)?.urn);
  const memo = new Map<string, Set<string>>();
  const answers = (urn: string): Set<string> => {
    const known = memo.get(urn);
    if (known) return known;
    const r = byUrn.get(urn)!;
    const { prefix, qualifiedType, name } = parts(urn);
    const out = new Set<string>([urn]);
    // Its own aliases: a former type (or name) under the same parent.
    const parentPart = qualifiedType.includes("$") ? qualifiedType.slice(0, qualifiedType.lastIndexOf("$") + 1) : "";
    for (const a of r.aliases) out.add(`${prefix}::${parentPart}${a.type ?? r.type}::${a.name ?? name}`);
    // Its URN under each URN its parent answers to (the child's type carries the parent's last type).
    const p = parentUrn.get(urn);
    if (p) {
      for (const pu of answers(p)) {
        const parentType = parts(pu).qualifiedType.split("$").pop();
        out.add(`${prefix}::${parentType}$${r.type}::${name}`);
      }
    }
    memo.set(urn, out);
    return out;
  };
  return new Map(regs.map((r) => [r.urn, answers(r.urn)]));
}

test.each(Object.keys(OLD.stacks))(
  "stack %s: every 0.1.0 resource keeps its URN or is aliased",
  (stack) => {
    const r = spawnSync(process.execPath, ["--require", "@swc-node/register", "test/support/planRegistrations.ts", stack], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 90_000,
    });
    expect([r.status, r.stderr]).toEqual([0, expectedPlanStderr(stack)]);
    const regs = JSON.parse(r.stdout) as Reg[];
    const covered = new Set([...answeringUrns(regs).values()].flatMap((s) => [...s]));
    const lost = OLD.stacks[stack].filter((urn) => !covered.has(urn));
    expect(lost).toEqual([]);
    // Nothing answers to two old resources (an alias that would merge two into one).
    const owners = new Map<string, string>();
    for (const [urn, set] of answeringUrns(regs)) {
      for (const old of set) {
        if (!OLD.stacks[stack].includes(old)) continue;
        expect([old, owners.get(old) ?? urn]).toEqual([old, urn]);
        owners.set(old, urn);
      }
    }
  },
  60_000,
);

test("the check fails when an alias is missing: the workbench without its former type loses its direct children", () => {
  const regs: Reg[] = [
    {
      type: "gpu-workbench:index:Workbench",
      name: "s",
      parent: undefined,
      urn: "urn:pulumi:s::p::gpu-workbench:index:Workbench::s",
      custom: false,
      aliases: [],
    },
    {
      type: "azure-native:compute:Disk",
      name: "d",
      parent: "s",
      urn: "urn:pulumi:s::p::gpu-workbench:index:Workbench$azure-native:compute:Disk::d",
      custom: true,
      aliases: [],
    },
  ];
  const old = "urn:pulumi:s::p::gpu-workbench:index:AzureWorkbench$azure-native:compute:Disk::d";
  expect([...answeringUrns(regs).values()].some((s) => s.has(old))).toBe(false);
  regs[0].aliases = [{ type: "gpu-workbench:index:AzureWorkbench" }];
  expect([...answeringUrns(regs).values()].some((s) => s.has(old))).toBe(true);
});

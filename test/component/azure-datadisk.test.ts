/**
 * The data disk survives a new cloud-init: two mock runs of the same stack, the second with one
 * more user (so a new customData, which replaces the VM), register the VM with different inputs
 * and the data disk with identical ones.
 */
import { MINJI_KEY, rawConfig } from "../support/fixtures";
import { runWorkbench } from "../support/workbenchRun";

const JUN_KEY = MINJI_KEY.replace("minji@desk", "jun@lab");

interface Run {
  vm: Record<string, unknown>;
  disk: Record<string, unknown>;
  names: string[];
}

async function run(users: Record<string, unknown>[]): Promise<Run> {
  const r = await runWorkbench("azure-t4", { config: rawConfig({ users }), region: "koreacentral" });
  return { vm: r.one("wb-host-vm"), disk: r.one("wb-host-data"), names: r.names };
}

describe("Workbench data disk", () => {
  const base = rawConfig().users as Record<string, unknown>[];
  let before: Run;
  let after: Run;
  beforeAll(async () => {
    before = await run(base);
    after = await run([...base, { name: "jun", sshPublicKey: JUN_KEY }]);
  });

  it("a new user changes the VM's customData (so the VM is replaced)", () => {
    const customData = (r: Run) => (r.vm.osProfile as { customData: string }).customData;
    expect(customData(before)).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(customData(after)).not.toBe(customData(before));
    expect(Buffer.from(customData(after), "base64").toString("utf8")).toContain("jun");
    expect(Buffer.from(customData(before), "base64").toString("utf8")).not.toContain("jun@lab");
  });

  it("the data disk's inputs are identical, so it is neither replaced nor updated", () => {
    expect(after.disk).toEqual(before.disk);
    expect(JSON.stringify(after.disk)).toBe(JSON.stringify(before.disk));
    expect(before.disk.diskSizeGB).toBe(256);
  });

  it("the VM still attaches the same disk at LUN 0", () => {
    const dataDisks = (r: Run) => (r.vm.storageProfile as { dataDisks: unknown[] }).dataDisks;
    expect(dataDisks(after)).toEqual(dataDisks(before));
    expect(dataDisks(before)).toHaveLength(1);
  });

  it("the runs differ only by the new user's resources, if any (no second disk)", () => {
    expect(after.names.filter((n) => n.endsWith("-data"))).toEqual(["wb-host-data"]);
  });
});

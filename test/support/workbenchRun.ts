/**
 * One Workbench planned under Pulumi's mocks, for the component tests that compare runs of the same
 * team (image modes, a new user): the recorder, the inputs of a resource that must be there once,
 * and the sorted names.
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockRecorder, registrationsSettled, unwrapSecrets, valueOf } from "../../scripts/lib/mocks";

export interface WorkbenchRun {
  rec: MockRecorder;
  /** The unwrapped inputs of the one resource of that name (fails the test when there is not exactly one). */
  one(name: string): Record<string, unknown>;
  names: string[];
}

export async function runWorkbench(
  stack: string,
  args: { config: Record<string, unknown>; region: string; sshPrivateKeyPath?: string | undefined },
  awsRegion?: string,
): Promise<WorkbenchRun> {
  const rec: MockRecorder = await installMocks({ stack, preview: true });
  // The AWS provider's region, which its lookups need (the mocks follow it).
  if (awsRegion) pulumi.runtime.setConfig("aws:region", awsRegion);
  const { Workbench } = await import("../../components/workbench/workbench");
  const wb = new Workbench("wb", { config: args.config as never, region: args.region, sshPrivateKeyPath: args.sshPrivateKeyPath });
  await Promise.all([wb.address, wb.credentials, wb.dataDiskId].map((o) => valueOf(o as pulumi.Output<unknown>)));
  await registrationsSettled(rec);
  const one = (name: string) => {
    const found = rec.registrations.filter((r) => r.name === name);
    expect(found).toHaveLength(1);
    return unwrapSecrets(found[0].inputs) as Record<string, unknown>;
  };
  return { rec, one, names: rec.registrations.map((r) => r.name).sort() };
}

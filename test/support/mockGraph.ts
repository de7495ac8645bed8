/**
 * Queries over the mocks' registrations that the component tests share: each resource's
 * dependencies as the engine receives them, a parent's children, one registration by name and its
 * inputs without secret wrappers.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockRecorder, Registration, unwrapSecrets } from "../../scripts/lib/mocks";

interface Req {
  getName(): string;
  getDependenciesList(): string[];
}

/** Records each registration's dependencies (URNs) by resource name; call after installMocks. */
export function recordDependencies(): Map<string, string[]> {
  const dependencies = new Map<string, string[]>();
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: Req, cb: unknown) => void };
  const inner = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    dependencies.set(req.getName(), req.getDependenciesList());
    inner(req, cb);
  };
  return dependencies;
}

export function registrationQueries(recorder: () => MockRecorder) {
  const childrenOf = (parent: string) =>
    recorder()
      .registrations.filter((r) => r.parent === parent)
      .map((r) => `${r.type} ${r.name}`)
      .sort();
  const reg = (name: string): Registration => {
    const found = recorder().registrations.filter((r) => r.name === name);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const plain = (name: string) => unwrapSecrets(reg(name).inputs) as Record<string, unknown>;
  const urnOf = (name: string) => expect.stringMatching(new RegExp(`::${name}$`));
  return { childrenOf, reg, plain, urnOf };
}

/**
 * A target defined in test code only (test/component/fake-target.test.ts): a lab host booked
 * through a local command. Loading this module registers it through the public registry (registerTarget),
 * so `node --require ./test/support/labTarget.ts scripts/plan.ts ...` plans it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as local from "@pulumi/command/local";
// The registry as components/index.ts exports it (the directory itself would load the built bin/).
import { registerTarget, type TargetDefinition } from "../../components/targets/registry";
import { remotePipeline } from "../../components/workbench/pipeline";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2Xe7akWuUKbDefId+7J/KVvXm35t1buxhlGirgBNuI";

/** A lab host booked through a local command: its address comes back from the booking. */
export const labTarget: TargetDefinition = {
  rules: {
    name: "lab",
    kind: "existing-host",
    driverInstall: () => "preinstalled",
    ownKeys: ["lab"],
    storage: {},
    refuses: { storage: "target lab has no storage mounts; remove it" },
    validate(input) {
      const o =
        input.raw.lab === undefined
          ? input.fail("workbench.lab", "required for target lab; set bench")
          : input.object("workbench.lab", input.raw.lab, ["bench"]);
      const bench = o && input.string("workbench.lab.bench", o.bench);
      if (bench !== undefined && !/^bench-[0-9]{1,3}$/.test(bench))
        input.fail("workbench.lab.bench", `"${bench}" is not a bench; use bench-<number>, e.g. bench-7`);
      return { settings: { bench } };
    },
  },
  deploy(parent, name, prepared, args) {
    const bench = String(prepared.spec.settings.bench);
    const booking = new local.Command(`${name}-booking`, { create: `echo 192.0.2.${bench.slice(6)}` }, { parent });
    return {
      ...remotePipeline(
        parent,
        name,
        { ...prepared, sshPrivateKeyPath: args.sshPrivateKeyPath },
        {
          address: booking.stdout,
          port: 22,
          hostPublicKey: HOST_KEY,
          hostId: undefined,
          bootstrapTriggers: [bench],
          dependsOn: [booking],
          readyTimeoutSeconds: 600,
        },
      ),
      driverInstall: pulumi.output(prepared.spec.driverInstall),
    };
  },
};

registerTarget(labTarget);

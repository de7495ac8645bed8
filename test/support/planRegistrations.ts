/**
 * Prints, as JSON, the registrations of one stack's plan (type, name, parent, URN, aliases): the
 * upgrade test runs it in a process of its own per stack, as the program registers once per process.
 *   node --require @swc-node/register test/support/planRegistrations.ts <stack>
 */
import * as path from "path";
import { runPlan } from "../../scripts/plan";
import { lastMockRecorder } from "../../scripts/lib/mocks";

async function main(stack: string): Promise<void> {
  await runPlan({ stack, configFile: path.join(__dirname, "..", "..", "stacks", `Pulumi.${stack}.yaml`), json: true, policy: false });
  const regs = lastMockRecorder()!.registrations.map(({ type, name, parent, urn, custom, aliases }) => ({ type, name, parent, urn, custom, aliases }));
  process.stdout.write(JSON.stringify(regs) + "\n");
}

main(process.argv[2]).catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});

/**
 * Preloaded into the plan by test/component/plan.test.ts (`node --require`), a fault the program
 * cannot see coming, chosen by GW_PLAN_FAULT:
 * - `apply`: the mock host key's public half gets a "%", which the known_hosts renderer refuses
 *   inside an apply (as a renderer's second wall or a provider bug would throw);
 * - `invoke`: the subnet lookup fails (as a provider call would);
 * - `register`: the engine refuses the EC2 instance.
 * The plan must then fail, instead of printing the resources it got before.
 */
import { computedState, invokeResults } from "../../scripts/lib/mocks";

const fault = process.env.GW_PLAN_FAULT;
if (fault === "apply") {
  const original = computedState["tls:index/privateKey:PrivateKey"];
  computedState["tls:index/privateKey:PrivateKey"] = (name, inputs) => ({ ...original(name, inputs), publicKeyOpenssh: "ssh-ed25519 AAAA%broken\n" });
} else if (fault === "invoke") {
  invokeResults["aws:ec2/getSubnet:getSubnet"] = () => {
    throw new Error("mock fault: no default subnet in this availability zone");
  };
} else if (fault === "register") {
  computedState["aws:ec2/instance:Instance"] = () => {
    throw new Error("mock fault: the instance type is not offered in this zone");
  };
} else {
  throw new Error(`GW_PLAN_FAULT must be apply, invoke or register, not ${JSON.stringify(fault)}`);
}

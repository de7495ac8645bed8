/** "Did you mean": the closest declared name (components/config/suggest.ts), and where no name is close. */
import { parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import { keysOf } from "../../components/config/keys";
import { closestName, similarity } from "../../components/config/suggest";
import { editDistance } from "../../components/config/sizes";
import { rawConfig } from "../support/fixtures";

test("similarity: the same name in another case is 1, a contained name 0.9, else shared characters in order", () => {
  expect(similarity("allowedcidrs", "allowedCidrs")).toBe(1);
  expect(similarity("pipPackages", "packages")).toBe(0.9);
  // sshkey of sshKeyz and sshPublicKey: 2 * 6 / (7 + 12)
  expect(similarity("sshKeyz", "sshPublicKey")).toBeCloseTo(12 / 19, 10);
  expect(similarity("sshKeyz", "docker")).toBeCloseTo(4 / 13, 10);
  expect(similarity("ab", "abc")).toBeCloseTo(0.8, 10);
});

test("the closest declared key, where edit distance alone would pick another", () => {
  const users = keysOf("users[]");
  expect(users).toEqual(["name", "sshPublicKey", "admin", "docker"]);
  expect(editDistance("sshkeyz", "docker")).toBeLessThan(editDistance("sshkeyz", "sshpublickey"));
  expect(closestName(users, "sshKeyz")).toBe("sshPublicKey");
  expect(closestName(keysOf("storage[]"), "endpiont")).toBe("endpoint");
  expect(closestName(keysOf("idleStop"), "afterMinutes")).toBe("after");
  expect(closestName(keysOf("idleStop"), "warnMinute")).toBe("warnMinutes");
  expect(closestName(keysOf(""), "allowedCidr")).toBe("allowedCidrs");
  expect(closestName(keysOf(""), "idlestop")).toBe("idleStop");
  // Nothing close: no guess (the message lists the valid keys instead).
  expect(closestName(users, "sudo")).toBeUndefined();
  expect(closestName(keysOf(""), "gpuCount")).toBeUndefined();
  expect(closestName(keysOf("storage[]"), "sas")).toBeUndefined();
});

test("a typo at any depth of the workbench map, word for word, with the other problems of the config", () => {
  const raw = rawConfig({
    allowedCidr: ["203.0.113.7/32"],
    users: [{ name: "daniel", sshKeyz: "ssh-ed25519 AAAA", admin: true }],
    storage: [{ name: "lake", kind: "s3", bucket: "b", endpiont: "https://s3.example.com" }],
    idleStop: { afer: "1h" },
  });
  delete raw.allowedCidrs;
  let problems: string[] = [];
  try {
    parseWorkbenchConfig(raw, { region: "koreacentral" });
  } catch (e) {
    problems = (e as WorkbenchConfigError).problems;
  }
  expect(problems.filter((p) => p.includes("unknown key"))).toEqual([
    'workbench.allowedCidr: unknown key; did you mean "allowedCidrs"?',
    'workbench.users[0].sshKeyz: unknown key; did you mean "sshPublicKey"?',
    'workbench.storage[0].endpiont: unknown key; did you mean "endpoint"?',
    'workbench.idleStop.afer: unknown key; did you mean "after"?',
  ]);
});

/**
 * The user data's budget (issue 24): the user data carries only what runs before the deployer can
 * log in, so its size follows the team, not the bootstrap. Ceilings are the issue's targets: the
 * reference stack at most 8 KB gzipped; a 10-user, 3-mount, idle-stop, 6-app team at most 12 KB
 * gzipped (75% of EC2's 16 KB) on every cloud; a 30-user team within every cloud's limit.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { generateEd25519OpenSsh } from "../../components/access/keys";
import { gzipUserData, renderCloudInit } from "../../components/bootstrap";
import { parseWorkbenchConfig } from "../../components/config/parse";
import type { WorkbenchSpec } from "../../components/config/spec";
import { targetRules } from "../../components/config/targetRules";
import { userDataStandIn } from "../../components/workbench/hostAccess";
import { userDataLimitProblem } from "../../components/workbench/prepare";
import { SIX_APPS } from "../support/bootstrap-fixtures";

const REGION: Record<string, string | undefined> = { azure: "koreacentral", aws: "ap-northeast-2", softlayer: undefined };

function rendered(spec: WorkbenchSpec): string {
  return renderCloudInit(spec, { hostKey: generateEd25519OpenSsh("budget-host"), rdpPasswordHashes: {} });
}

/** `n` users with real ed25519 keys; the first is the admin. */
function team(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `member${i}`,
    sshPublicKey: `${generateEd25519OpenSsh(`budget-user-${i}`).publicKeyOpenssh.trim()} member${i}@laptop`,
    ...(i === 0 ? { admin: true } : {}),
  }));
}

/** Three mounts of the cloud's own storage. */
function mounts(target: string): Record<string, unknown>[] {
  if (target === "azure") return ["lake", "reference", "scratch"].map((name, i) => ({ name, kind: "adls2", account: `acme${name}krc0${i}`, container: "raw" }));
  if (target === "aws") return ["lake", "reference", "scratch"].map((name) => ({ name, kind: "s3", bucket: `acme-${name}-apne2` }));
  return [];
}

/**
 * The realistic team: users, three mounts, idle stop and six apps, where the target takes them:
 * SoftLayer refuses mounts and idle stop, and its 100 GB boot disk holds the four apps without the Kaggle images.
 */
function teamSpec(target: string, users: number): WorkbenchSpec {
  const raw: Record<string, unknown> = { target, users: team(users), allowedCidrs: ["203.0.113.7/32"], apps: SIX_APPS };
  if (target !== "softlayer") Object.assign(raw, { storage: mounts(target), idleStop: { after: "60m" } });
  else Object.assign(raw, { datacenter: "dal10", apps: SIX_APPS.filter((a) => !String(a.kind).startsWith("kaggle")) });
  return parseWorkbenchConfig(raw, { region: REGION[target] });
}

describe("the user data's budget", () => {
  test("the reference stack (stacks/Pulumi.azure-t4.yaml) is at most 8 KB gzipped", () => {
    const config = parse(fs.readFileSync(path.join(__dirname, "../../stacks/Pulumi.azure-t4.yaml"), "utf8")).config;
    const spec = parseWorkbenchConfig(config["gpu-workbench:workbench"], { region: config["azure-native:location"] });
    const gz = gzipUserData(rendered(spec)).length;
    console.log(`azure-t4: ${gz} bytes gzipped`);
    expect(gz).toBeLessThanOrEqual(8 * 1024);
  });

  test.each(["azure", "aws", "softlayer"])("%s: 10 users, 3 mounts, idle stop, 6 apps (what the target takes): at most 12 KB gzipped", (target) => {
    const spec = teamSpec(target, 10);
    expect([spec.users.length, spec.storage.length, spec.apps.length, spec.idleStop !== undefined]).toEqual(
      target === "softlayer" ? [10, 0, 4, false] : [10, 3, 6, true],
    );
    const text = rendered(spec);
    const gz = gzipUserData(text).length;
    console.log(`${target}, 10 users: ${Buffer.byteLength(text)} bytes, ${gz} gzipped`);
    expect(gz).toBeLessThanOrEqual(12 * 1024);
  });

  test.each(["azure", "aws", "softlayer"])("%s: a 30-user team fits the cloud's own limit, counted as the cloud counts", (target) => {
    const limit = targetRules(target).userDataLimit!;
    const sent = limit.sentBytes(rendered(teamSpec(target, 30)));
    console.log(`${target}, 30 users: ${sent} of ${limit.maxBytes} bytes`);
    expect(sent).toBeLessThanOrEqual(limit.maxBytes);
  });

  test.each(["azure", "aws", "softlayer"])(
    "%s: a 30-user team still plans (the plan's own check passes it); a team far past it does not, with the users' share named",
    (target) => {
      const limit = targetRules(target).userDataLimit!;
      const check = (users: number) => {
        const spec = teamSpec(target, users);
        return userDataLimitProblem(userDataStandIn(spec), limit, userDataStandIn({ ...spec, users: spec.users.slice(0, 1) }));
      };
      expect(check(30)).toBeUndefined();
      expect(check(target === "azure" ? 3000 : 300)).toMatch(
        /^workbench\.users: the cloud-init document would be about \d+ bytes( gzipped)?(, in base64)? \(the users take about \d+ bytes of it, the rest \d+\), over /,
      );
    },
  );
});

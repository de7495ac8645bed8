/**
 * The destination grammars accept what the destinations accept, not only refuse what they do not
 * (the refusals are in test/support/badConfigs.ts): hosts, registry hosts, image references,
 * zones, Azure names, CIDR coverage, credential names, time zones, and the host's groups.
 */
import * as fs from "fs";
import { canonicalCidr, describeWide, exposureOf, ParsedCidr, parseCidr } from "../../components/config/cidrs";
import {
  availabilityZoneProblem,
  awsRegionProblem,
  azureLocationProblem,
  azureResourceGroupProblem,
  hostProblem,
  isAzureSubnetId,
  isImageReference,
  keyPath,
  q,
  registryServerProblem,
  tagProblems,
} from "../../components/config/grammar";
import { HOST_GROUPS } from "../../components/config/imageGroups";
import { parseWorkbenchConfig } from "../../components/config/parse";
import { isSecretEnvName } from "../../components/config/secrets";
import { resolveTimeZone } from "../../components/config/timezones";
import { userNameProblem } from "../../components/config/validate";
import { DANIEL_KEY, rawConfig } from "../support/fixtures";

const cidrs = (...list: string[]) => list.map((c) => parseCidr(c) as ParsedCidr);

test("hosts: DNS names and IP addresses, nothing else", () => {
  for (const ok of ["gpu1", "gpu1.lab.example.com", "GPU-1.Example.COM", "203.0.113.7", "2001:db8::10", "::1"])
    expect([ok, hostProblem(ok)]).toEqual([ok, undefined]);
  for (const bad of ["", "-gpu", "gpu-", "gpu_1", "a..b", "203.0.113.256", "1.2.3", "x".repeat(64), "fe80::1%eth0", "[::1]", "gpu1:22", "gpu1/x"]) {
    expect([bad, hostProblem(bad)]).toEqual([
      bad,
      `${q(bad)} is not a host name or IP address; use a DNS name such as gpu1.example.com or an address such as 192.0.2.10`,
    ]);
  }
});

test("registry hosts: host[:port] as an image reference takes them", () => {
  for (const ok of ["ghcr.io", "localhost:5000", "registry.example.com:5000", "10.0.0.5:443", "[::1]:5000", "[2001:db8::1]"])
    expect([ok, registryServerProblem(ok)]).toEqual([ok, undefined]);
  for (const bad of ["ghcr.io:0", "ghcr.io:", "ghcr io", "[::1", "[fe80::1%eth0]:5000", "a;b"])
    expect(registryServerProblem(bad)).toMatch(/is not a registry host/);
});

test("image references: distribution/reference's grammar", () => {
  for (const ok of [
    "rocker/rstudio:4.5.1",
    "quay.io/jupyter/pytorch-notebook:cuda12-2025-08-18",
    "localhost:5000/lab:1",
    "ubuntu:24.04",
    "a__b/c.d-e:T_1",
    `ghcr.io/acme/lab@sha256:${"a".repeat(64)}`,
    `ghcr.io/acme/lab:1.2@sha256:${"b".repeat(64)}`,
    "[::1]:5000/lab:1",
  ])
    expect([ok, isImageReference(ok)]).toEqual([ok, true]);
  for (const bad of [
    "Rocker/rstudio:1",
    "ghcr.io/Acme/lab:1",
    "lab:",
    "lab:-1",
    "a//b:1",
    "lab:1 x",
    "lab:1\n",
    "-lab:1",
    "ghcr.io:99999/lab:1",
    `lab@sha256:${"a".repeat(10)}`,
  ]) {
    expect([bad, isImageReference(bad)]).toEqual([bad, false]);
  }
});

test("regions, zones and Azure names", () => {
  for (const ok of ["koreacentral", "westus2", "eastus2euap"]) expect(azureLocationProblem(ok)).toBeUndefined();
  for (const ok of ["ap-northeast-2", "us-gov-west-1", "eu-central-1", "cn-north-1", "ap-southeast-5"]) expect(awsRegionProblem(ok)).toBeUndefined();
  expect(availabilityZoneProblem("us-west-2b", "us-west-2")).toBeUndefined();
  expect(availabilityZoneProblem("us-west-2-lax-1a", "us-west-2")).toBeUndefined();
  expect(availabilityZoneProblem("us-west-2", "us-west-2")).toBe('"us-west-2" is not an availability zone name in region "us-west-2"; use e.g. "us-west-2a"');
  for (const ok of ["lab", "rg-lab_01", "lab(prod)", "연구실", "a.b"]) expect(azureResourceGroupProblem(ok)).toBeUndefined();
  expect(azureResourceGroupProblem("x".repeat(91))).toMatch(/is not an Azure resource group name/);
  expect(
    isAzureSubnetId(
      "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-lab/providers/Microsoft.Network/virtualNetworks/vnet-1/subnets/default",
    ),
  ).toBe(true);
  expect(isAzureSubnetId("/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s")).toBe(false);
});

test("tags: each cloud's characters and lengths", () => {
  expect(tagProblems("azure", "cost center", "a;b <c>")).toEqual({});
  expect(tagProblems("aws", "team:data", "a b_c.d:e/f=g+h-i@j")).toEqual({});
  expect(tagProblems("azure", "k".repeat(513), "v")).toEqual({
    key: `${q("k".repeat(513))} is not an Azure tag name; use up to 512 characters without < > % & \\ ? /`,
  });
  expect(tagProblems("aws", "team", "v".repeat(257))).toEqual({ value: "257 characters is too long for a tag value; use at most 256" });
});

test("CIDR coverage is decided on the union, per family", () => {
  const [all4, internet6] = exposureOf(cidrs("0.0.0.0/1", "128.0.0.0/1", "2000::/4", "3000::/4"));
  expect(all4).toMatchObject({ v6: false, addresses: 1n << 32n, internet: true, wide: true });
  expect(internet6).toMatchObject({ v6: true, addresses: 1n << 125n, internet: true, wide: true });
  // Overlaps count once; 65536 addresses is the most a password login may face.
  expect(exposureOf(cidrs("10.0.0.0/16", "10.0.0.0/17"))[0]).toMatchObject({ addresses: 65536n, internet: false, wide: false });
  expect(exposureOf(cidrs("10.0.0.0/16", "10.1.0.0/32"))[0]).toMatchObject({ addresses: 65537n, wide: true });
  expect(exposureOf(cidrs("2001:db8::/48"))[0]).toMatchObject({ wide: false, internet: false });
  // Everything but 2000::/3 is not the public IPv6 internet, however wide.
  expect(exposureOf(cidrs("4000::/2", "8000::/1"))[0]).toMatchObject({ internet: false, wide: true });
  expect(describeWide(exposureOf(cidrs("203.0.113.7/32")), false)).toBeUndefined();
  expect(canonicalCidr(cidrs("2001:DB8:0::/32")[0])).toBe("2001:db8::/32");
});

test("credential names: the last part says so", () => {
  for (const yes of [
    "HF_TOKEN",
    "WANDB_API_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "PGPASSWORD",
    "DB_PASSWD",
    "KAGGLE_KEY",
    "GITHUB_TOKEN",
    "MY_SECRET",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "hf_token",
  ])
    expect([yes, isSecretEnvName(yes)]).toEqual([yes, true]);
  for (const no of ["AWS_ACCESS_KEY_ID", "TOKENIZERS_PARALLELISM", "KEYBOARD", "TZ", "PASSWORD_MIN_LENGTH", "SECRETS_DIR"])
    expect([no, isSecretEnvName(no)]).toEqual([no, false]);
});

test("time zones: the whole CLDR mapping, both ways", () => {
  expect(resolveTimeZone("Line Islands Standard Time")).toEqual({ windows: "Line Islands Standard Time", iana: "Pacific/Kiritimati" });
  expect(resolveTimeZone("Europe/Kyiv")).toEqual({ windows: "FLE Standard Time", iana: "Europe/Kyiv" });
  expect(resolveTimeZone("America/Nuuk")).toEqual({ windows: "Greenland Standard Time", iana: "America/Nuuk" });
  expect(resolveTimeZone("korea standard time")).toBeUndefined();
  expect(resolveTimeZone("Mars/Olympus_Mons")).toBeUndefined();
});

test("key paths quote keys that are not names", () => {
  expect(keyPath("workbench.tags", "team")).toBe("workbench.tags.team");
  expect(keyPath("workbench.tags", "a b\n")).toBe('workbench.tags["a b\\n"]');
  expect(q("a\u2028b\u202ec\u0085")).toBe('"a\\u2028b\\u202ec\\u0085"');
});

describe("user names the host already has as groups", () => {
  /** The groups this machine's own base system defines: base-passwd's group.master and systemd's sysusers.d. */
  function systemGroups(): string[] {
    const out: string[] = [];
    const master = "/usr/share/base-passwd/group.master";
    if (fs.existsSync(master))
      out.push(
        ...fs
          .readFileSync(master, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => l.split(":")[0]),
      );
    const sysusers = "/usr/lib/sysusers.d";
    if (fs.existsSync(sysusers)) {
      for (const f of fs.readdirSync(sysusers)) {
        for (const line of fs.readFileSync(`${sysusers}/${f}`, "utf8").split("\n")) {
          const m = /^[gu]\s+(\S+)/.exec(line);
          // A "u" line makes a group of the user's name too.
          if (m) out.push(m[1]);
        }
      }
    }
    return out;
  }

  test("the list holds every group of this machine's base-passwd and sysusers.d (the part Debian shares with Ubuntu)", () => {
    const here = systemGroups();
    if (here.length === 0 && process.env.CI === "true") throw new Error("no base-passwd group.master here");
    expect(here.filter((g) => !HOST_GROUPS.includes(g) && userNameProblem(g) === undefined)).toEqual([]);
  });

  test.each(["sudo", "adm", "users", "plugdev", "netdev", "lxd", "systemd-journal", "gpu-workbench", "docker", "ssl-cert"])(
    "%s is refused before any resource",
    (name) => {
      expect(userNameProblem(name)).toMatch(/is (already a group on the host|reserved by the system or the image)/);
      expect(() => parseWorkbenchConfig(rawConfig({ users: [{ name, sshPublicKey: DANIEL_KEY, admin: true }] }), { region: "koreacentral" })).toThrow(
        `workbench.users[0].name: ${q(name)}`,
      );
    },
  );
});

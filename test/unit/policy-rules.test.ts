/**
 * The policy pack's rules, one passing and one failing resource each (exact messages), and the
 * address arithmetic of "no ingress from the internet".
 */
import * as zlib from "zlib";
import { internetExposure, isLoopback, parseCidr } from "../../components/policy/cidr";
import {
  DEFAULT_ALLOWED_SIZES,
  evaluate,
  POLICY_RULES,
  PolicyConfig,
  policyNames,
  PolicySubject,
  STACK_POLICY_RULES,
  userDataText,
  validatePolicyConfig,
} from "../../components/policy/rules";

/** A resource as the offline plan sees it: secretness and retainOnDelete known. */
function subject(type: string, props: Record<string, unknown>, more: Partial<PolicySubject> = {}): PolicySubject {
  return { type, name: "r", props, secretPaths: [], protect: false, retainOnDelete: false, ...more };
}

/** Every finding of one policy on one resource, as "message" or "unverifiable: message". */
function check(policy: string, r: PolicySubject, config: PolicyConfig = {}): string[] {
  const rule = POLICY_RULES.find((p) => p.name === policy)!;
  expect(rule.types).toContain(r.type);
  return rule.check(r, config).map((f) => (f.unverifiable ? `unverifiable: ${f.message}` : f.message));
}

describe("cidr arithmetic", () => {
  test("parses IPv4 and IPv6 CIDRs and bare addresses, and refuses the rest", () => {
    expect(parseCidr("203.0.113.7/32")).toEqual({ family: "v4", interval: { start: 0xcb007107n, end: 0xcb007107n } });
    expect(parseCidr("10.1.2.3/8")).toEqual({ family: "v4", interval: { start: 0x0a000000n, end: 0x0affffffn } });
    expect(parseCidr("2001:db8::/32")?.interval.start).toBe(0x20010db8n << 96n);
    expect(parseCidr("::ffff:192.0.2.1")?.interval.start).toBe(0xffffc0000201n);
    for (const bad of ["10.0.0.0/33", "256.0.0.1/32", "10.0.0/8", "1::2::3", "::/129", "Internet", "10.0.0.0/8/1", ""])
      expect([bad, parseCidr(bad)]).toEqual([bad, undefined]);
  });

  test.each([
    [["0.0.0.0/0"], true, false],
    [["::/0"], false, true],
    [["*"], true, true],
    [["Internet"], true, true],
    [["any"], true, true],
    [["0.0.0.0/1", "128.0.0.0/1"], true, false],
    // Everything but private space is still the whole internet.
    [["0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1"], true, false],
    [["2000::/4", "3000::/4"], false, true],
    [["0.0.0.0/1", "128.0.0.0/2"], false, false],
    [["203.0.113.7/32", "198.51.100.0/24"], false, false],
    [["10.0.0.0/8", "2001:db8::/32"], false, false],
  ])("%j admits the IPv4 internet: %s, the IPv6 internet: %s", (sources, v4, v6) => {
    expect(internetExposure(sources)).toEqual({ v4, v6, unparsed: [] });
  });

  test("what is not a CIDR is listed, not guessed", () => {
    expect(internetExposure(["VirtualNetwork", "203.0.113.7/32", "10.0.0.0/99"])).toEqual({
      v4: false,
      v6: false,
      unparsed: ["VirtualNetwork", "10.0.0.0/99"],
    });
  });

  test("loopback is 127.0.0.0/8 and ::1, nothing else", () => {
    expect(["127.0.0.1", "127.8.9.1", "::1", "localhost"].map(isLoopback)).toEqual([true, true, true, true]);
    expect(["0.0.0.0", "::", "10.0.0.1", "", "128.0.0.1"].map(isLoopback)).toEqual([false, false, false, false, false]);
  });
});

const NSG = "azure-native:network:NetworkSecurityGroup";
const rule = (sources: string[], more: Record<string, unknown> = {}) => ({
  name: "x",
  direction: "Inbound",
  access: "Allow",
  protocol: "Tcp",
  sourceAddressPrefixes: sources,
  destinationPortRange: "22",
  ...more,
});

describe("no-internet-ingress", () => {
  test("an NSG whose rules admit only listed addresses passes; denies and outbound rules are not ingress", () => {
    expect(
      check(
        "no-internet-ingress",
        subject(NSG, {
          securityRules: [rule(["203.0.113.7/32"]), rule(["VirtualNetwork"]), rule(["0.0.0.0/0"], { access: "Deny" }), rule(["*"], { direction: "Outbound" })],
        }),
      ),
    ).toEqual([]);
  });

  test("two rules that together cover the internet fail", () => {
    expect(check("no-internet-ingress", subject(NSG, { securityRules: [rule(["0.0.0.0/1"]), rule([], { sourceAddressPrefix: "128.0.0.0/1" })] }))).toEqual([
      "network security group r admits the whole IPv4 internet (sources: 0.0.0.0/1, 128.0.0.0/1); list only the addresses that need access",
    ]);
  });

  test("the Internet service tag fails, an unknown tag is refused", () => {
    expect(check("no-internet-ingress", subject("azure-native:network:SecurityRule", rule([], { sourceAddressPrefix: "Internet" })))).toEqual([
      "security rule r admits the whole IPv4 and IPv6 internet (sources: Internet); list only the addresses that need access",
    ]);
    expect(check("no-internet-ingress", subject(NSG, { securityRules: [rule(["AzureCloud"])] }))).toEqual([
      "network security group r has sources that are not CIDRs (AzureCloud); the pack cannot tell whom they admit, list CIDRs",
    ]);
  });

  test("AWS: a security group with listed addresses passes, ::/0 fails, as do standalone rules", () => {
    const sg = "aws:ec2/securityGroup:SecurityGroup";
    expect(
      check("no-internet-ingress", subject(sg, { ingress: [{ cidrBlocks: ["203.0.113.7/32"], ipv6CidrBlocks: [] }], egress: [{ cidrBlocks: ["0.0.0.0/0"] }] })),
    ).toEqual([]);
    expect(check("no-internet-ingress", subject(sg, { ingress: [{ cidrBlocks: ["203.0.113.7/32"], ipv6CidrBlocks: ["::/0"] }] }))).toEqual([
      "security group r admits the whole IPv6 internet (sources: 203.0.113.7/32, ::/0); list only the addresses that need access",
    ]);
    expect(check("no-internet-ingress", subject("aws:ec2/securityGroupRule:SecurityGroupRule", { type: "egress", cidrBlocks: ["0.0.0.0/0"] }))).toEqual([]);
    expect(check("no-internet-ingress", subject("aws:ec2/securityGroupRule:SecurityGroupRule", { type: "ingress", cidrBlocks: ["0.0.0.0/0"] }))).toEqual([
      "security group rule r admits the whole IPv4 internet (sources: 0.0.0.0/0); list only the addresses that need access",
    ]);
    expect(check("no-internet-ingress", subject("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { cidrIpv4: "198.51.100.0/24" }))).toEqual([]);
    expect(check("no-internet-ingress", subject("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { cidrIpv4: "0.0.0.0/0" }))).toEqual([
      "security group ingress rule r admits the whole IPv4 internet (sources: 0.0.0.0/0); list only the addresses that need access",
    ]);
  });
});

describe("aws-imdsv2", () => {
  const instance = "aws:ec2/instance:Instance";
  test("required tokens with hop limit 1 pass, as does a disabled endpoint", () => {
    expect(
      check("aws-imdsv2", subject(instance, { metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 } })),
    ).toEqual([]);
    expect(check("aws-imdsv2", subject(instance, { metadataOptions: { httpEndpoint: "disabled" } }))).toEqual([]);
  });

  test("optional tokens and a hop limit of 2 fail; so does a launch template without metadata options", () => {
    expect(check("aws-imdsv2", subject(instance, { metadataOptions: { httpTokens: "optional", httpPutResponseHopLimit: 2 } }))).toEqual([
      'r: metadataOptions.httpTokens is "optional"; IMDSv2 needs "required"',
      "r: metadataOptions.httpPutResponseHopLimit is 2; it must be 1, or containers reach the metadata service",
    ]);
    expect(check("aws-imdsv2", subject("aws:ec2/launchTemplate:LaunchTemplate", {}))).toEqual([
      'r: metadataOptions.httpTokens is "unset (optional)"; IMDSv2 needs "required"',
      'r: metadataOptions.httpPutResponseHopLimit is "unset"; it must be 1, or containers reach the metadata service',
    ]);
  });
});

describe("user-data-secret", () => {
  const VM = "azure-native:compute:VirtualMachine";
  const KEY = "#cloud-config\nssh_keys:\n  ed25519_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n    b3Blbn...\n    -----END OPENSSH PRIVATE KEY-----\n";
  const b64 = (t: string) => Buffer.from(t).toString("base64");
  const gzb64 = (t: string) => zlib.gzipSync(t).toString("base64");

  test("user data is read through base64 and gzip", () => {
    expect(userDataText(b64("#cloud-config\n"))).toBe("#cloud-config\n");
    expect(userDataText(gzb64("#cloud-config\nx: 1\n"))).toBe("#cloud-config\nx: 1\n");
    expect(userDataText("#cloud-config\n")).toBe("#cloud-config\n");
  });

  test("a private key in secret user data passes (the secret may be the map that holds it); plain user data without credentials passes", () => {
    expect(check("user-data-secret", subject(VM, { osProfile: { customData: b64(KEY) } }, { secretPaths: ["osProfile"] }))).toEqual([]);
    expect(check("user-data-secret", subject("aws:ec2/instance:Instance", { userDataBase64: gzb64(KEY) }, { secretPaths: ["userDataBase64"] }))).toEqual([]);
    expect(check("user-data-secret", subject(VM, { osProfile: { customData: b64("#cloud-config\npackages: [htop]\n") } }))).toEqual([]);
  });

  test("a private key, a password hash or a token in plain user data fails", () => {
    expect(check("user-data-secret", subject(VM, { osProfile: { customData: b64(KEY) } }, { secretPaths: ["tags"] }))).toEqual([
      "r: osProfile.customData carries a private key but is not a secret",
    ]);
    const hashes = "#cloud-config\nchpasswd:\n  users:\n    - {name: ana, password: $6$abcdefgh$0123456789abcdef, type: HASH}\n";
    expect(check("user-data-secret", subject("aws:ec2/instance:Instance", { userDataBase64: gzb64(hashes) }))).toEqual([
      "r: userDataBase64 carries a password hash, a password but is not a secret",
    ]);
    expect(check("user-data-secret", subject("aws:ec2/launchTemplate:LaunchTemplate", { userData: b64("#!/bin/sh\nexport HF_TOKEN=hf_abc\n") }))).toEqual([
      "r: userData carries a token or secret but is not a secret",
    ]);
  });

  test("where secretness cannot be seen (the engine), the rule says so instead of guessing", () => {
    expect(check("user-data-secret", subject(VM, { osProfile: { customData: b64(KEY) } }, { secretPaths: undefined }))).toEqual([
      "unverifiable: r: osProfile.customData carries a private key; Pulumi's policy API does not say whether it is secret (npm run plan -- --policy checks it)",
    ]);
  });
});

describe("storage-private-encrypted", () => {
  test("Azure storage: private and encrypted passes; public blobs, plain HTTP and disabled encryption fail", () => {
    const acct = "azure-native:storage:StorageAccount";
    expect(check("storage-private-encrypted", subject(acct, { allowBlobPublicAccess: false, enableHttpsTrafficOnly: true }))).toEqual([]);
    expect(
      check(
        "storage-private-encrypted",
        subject(acct, { allowBlobPublicAccess: true, enableHttpsTrafficOnly: false, encryption: { services: { blob: { enabled: false } } } }),
      ),
    ).toEqual([
      "r: allowBlobPublicAccess must be false (anonymous blob access off)",
      "r: enableHttpsTrafficOnly is false; storage traffic must be encrypted in transit",
      "r: encryption.services.blob.enabled is false; encryption at rest stays on",
    ]);
    const container = "azure-native:storage:BlobContainer";
    expect(check("storage-private-encrypted", subject(container, { publicAccess: "None" }))).toEqual([]);
    expect(check("storage-private-encrypted", subject(container, { publicAccess: "Blob" }))).toEqual([
      'r: publicAccess is "Blob"; containers are private ("None")',
    ]);
  });

  test("S3: a full public-access block passes, a partial one or a public ACL fails", () => {
    const pab = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
    expect(
      check("storage-private-encrypted", subject(pab, { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true })),
    ).toEqual([]);
    expect(check("storage-private-encrypted", subject(pab, { blockPublicAcls: true, blockPublicPolicy: false, ignorePublicAcls: true }))).toEqual([
      "r: blockPublicPolicy must be true",
      "r: restrictPublicBuckets must be true",
    ]);
    expect(check("storage-private-encrypted", subject("aws:s3/bucket:Bucket", { acl: "private" }))).toEqual([]);
    expect(check("storage-private-encrypted", subject("aws:s3/bucketAclV2:BucketAclV2", { acl: "public-read" }))).toEqual([
      "r: acl public-read makes the bucket readable outside the account",
    ]);
  });

  test("EBS: encrypted volumes and root disks pass, unencrypted ones fail", () => {
    expect(check("storage-private-encrypted", subject("aws:ebs/volume:Volume", { encrypted: true }))).toEqual([]);
    expect(check("storage-private-encrypted", subject("aws:ebs/volume:Volume", { size: 256 }))).toEqual([
      "r: the EBS volume is not encrypted (encrypted: true)",
    ]);
    expect(check("storage-private-encrypted", subject("aws:ec2/instance:Instance", { rootBlockDevice: { encrypted: true } }))).toEqual([]);
    expect(
      check(
        "storage-private-encrypted",
        subject("aws:ec2/instance:Instance", { rootBlockDevice: {}, ebsBlockDevices: [{ encrypted: true }, { encrypted: false }] }),
      ),
    ).toEqual(["r: rootBlockDevice.encrypted must be true", "r: ebsBlockDevices[1].encrypted must be true"]);
  });
});

describe("data-retained", () => {
  const DISK = "azure-native:compute:Disk";
  test("a data disk with retainOnDelete or protect passes; without either it fails", () => {
    expect(check("data-retained", subject(DISK, {}, { retainOnDelete: true }))).toEqual([]);
    expect(check("data-retained", subject("aws:ebs/volume:Volume", {}, { protect: true }))).toEqual([]);
    expect(check("data-retained", subject("aws:s3/bucketV2:BucketV2", {}))).toEqual([
      "r: holds user data but has neither retainOnDelete nor protect; pulumi destroy or a replacement would delete it",
    ]);
  });

  test("where retainOnDelete cannot be seen (the engine) and protect is off, the rule says so", () => {
    expect(check("data-retained", subject(DISK, {}, { retainOnDelete: undefined }))).toEqual([
      "unverifiable: r: not protected, and Pulumi's policy API does not pass retainOnDelete (npm run plan -- --policy checks it)",
    ]);
    expect(check("data-retained", subject(DISK, {}, { retainOnDelete: undefined, protect: true }))).toEqual([]);
  });

  test("a VM that attaches its data disk to detach passes; one that deletes or creates it fails", () => {
    const VM = "azure-native:compute:VirtualMachine";
    expect(
      check(
        "data-retained",
        subject(VM, { storageProfile: { osDisk: { deleteOption: "Delete" }, dataDisks: [{ lun: 0, createOption: "Attach", deleteOption: "Detach" }] } }),
      ),
    ).toEqual([]);
    expect(check("data-retained", subject(VM, { storageProfile: { dataDisks: [{ lun: 0, createOption: "Empty", deleteOption: "Delete" }] } }))).toEqual([
      "r: storageProfile.dataDisks[0].deleteOption is Delete; the data disk would go with the VM (use Detach)",
      "r: storageProfile.dataDisks[0] is created by the VM; make it a separate Disk resource and attach it",
    ]);
    expect(check("data-retained", subject("aws:ec2/instance:Instance", { ebsBlockDevices: [{ deleteOnTermination: false }] }))).toEqual([]);
    expect(check("data-retained", subject("aws:ec2/instance:Instance", { ebsBlockDevices: [{ deviceName: "/dev/sdf" }] }))).toEqual([
      "r: ebsBlockDevices[0] is deleted with the instance; use a separate ebs.Volume and a VolumeAttachment",
    ]);
  });
});

describe("spot-evicts-safely", () => {
  test("Azure Spot deallocates; AWS spot stops: pass. Delete and terminate fail; on-demand is not spot", () => {
    const VM = "azure-native:compute:VirtualMachine";
    expect(check("spot-evicts-safely", subject(VM, { priority: "Spot", evictionPolicy: "Deallocate" }))).toEqual([]);
    expect(check("spot-evicts-safely", subject(VM, { hardwareProfile: { vmSize: "x" } }))).toEqual([]);
    expect(check("spot-evicts-safely", subject(VM, { priority: "Spot", evictionPolicy: "Delete" }))).toEqual([
      'r: a Spot VM with evictionPolicy "Delete"; eviction must deallocate, not delete',
    ]);
    const i = "aws:ec2/instance:Instance";
    expect(
      check(
        "spot-evicts-safely",
        subject(i, { instanceMarketOptions: { marketType: "spot", spotOptions: { spotInstanceType: "persistent", instanceInterruptionBehavior: "stop" } } }),
      ),
    ).toEqual([]);
    expect(check("spot-evicts-safely", subject(i, { instanceMarketOptions: { marketType: "spot", spotOptions: {} } }))).toEqual([
      'r: a spot instance whose interruption behavior is "unset (terminate)"; it must stop',
    ]);
    expect(check("spot-evicts-safely", subject("aws:ec2/spotInstanceRequest:SpotInstanceRequest", { instanceInterruptionBehavior: "terminate" }))).toEqual([
      'r: a spot request whose interruption behavior is "terminate"; it must stop',
    ]);
  });
});

describe("vm-size-allowed", () => {
  test("catalog sizes pass by default; others fail, with the list", () => {
    expect(DEFAULT_ALLOWED_SIZES).toContain("Standard_NC4as_T4_v3");
    expect(DEFAULT_ALLOWED_SIZES).toContain("g5.xlarge");
    expect(check("vm-size-allowed", subject("aws:ec2/instance:Instance", { instanceType: "g5.xlarge" }))).toEqual([]);
    expect(check("vm-size-allowed", subject("aws:ec2/instance:Instance", { instanceType: "p3.2xlarge" }))).toEqual([
      `r: size p3.2xlarge is not allowed; allowed: ${DEFAULT_ALLOWED_SIZES.join(", ")}`,
    ]);
  });

  test("the pack's config sets the list", () => {
    const config: PolicyConfig = { "vm-size-allowed": { allowedSizes: ["Standard_NC4as_T4_v3"] } };
    const vm = (size: string) => subject("azure-native:compute:VirtualMachine", { hardwareProfile: { vmSize: size } });
    expect(check("vm-size-allowed", vm("Standard_NC4as_T4_v3"), config)).toEqual([]);
    expect(check("vm-size-allowed", vm("Standard_NC24ads_A100_v4"), config)).toEqual([
      "r: size Standard_NC24ads_A100_v4 is not allowed; allowed: Standard_NC4as_T4_v3",
    ]);
  });
});

describe("apps-loopback", () => {
  const C = "docker:index/container:Container";
  test("loopback ports pass, and so does a port off loopback on a container labelled as exposed", () => {
    expect(check("apps-loopback", subject(C, { ports: [{ internal: 8888, external: 8888, ip: "127.0.0.1" }] }))).toEqual([]);
    expect(
      check(
        "apps-loopback",
        subject(C, { ports: [{ internal: 8888, external: 8888, ip: "0.0.0.0" }], labels: [{ label: "gpu-workbench.expose", value: "true" }] }),
      ),
    ).toEqual([]);
  });

  test("a Spark driver may publish on a private address, never on a public one or without its label", () => {
    const driver = [{ label: "gpu-workbench.spark-driver", value: "true" }];
    const on = (ip: string, labels = driver) => check("apps-loopback", subject(C, { ports: [{ internal: 7079, external: 7079, ip }], labels }));
    expect(on("10.0.1.4")).toEqual([]);
    expect(on("172.31.20.9")).toEqual([]);
    expect(on("192.168.7.2")).toEqual([]);
    expect(on("0.0.0.0")).toEqual(["r: port 7079 is published on 0.0.0.0; bind it to 127.0.0.1 or expose the app on purpose"]);
    expect(on("203.0.113.7")).toEqual(["r: port 7079 is published on 203.0.113.7; bind it to 127.0.0.1 or expose the app on purpose"]);
    expect(on("172.32.0.1")).toEqual(["r: port 7079 is published on 172.32.0.1; bind it to 127.0.0.1 or expose the app on purpose"]);
    expect(on("10.0.1.4", [])).toEqual(["r: port 7079 is published on 10.0.1.4; bind it to 127.0.0.1 or expose the app on purpose"]);
  });

  test("all interfaces, or no ip at all, fail", () => {
    expect(
      check(
        "apps-loopback",
        subject(C, {
          ports: [
            { internal: 8888, external: 8890, ip: "0.0.0.0" },
            { internal: 4040, external: 4040 },
          ],
        }),
      ),
    ).toEqual([
      "r: port 8890 is published on 0.0.0.0; bind it to 127.0.0.1 or expose the app on purpose",
      "r: port 4040 is published on every interface (no ip); bind it to 127.0.0.1 or expose the app on purpose",
    ]);
  });
});

describe("data-resource-group-retained", () => {
  const RG = "azure-native:resources:ResourceGroup";
  const group = (more: Partial<PolicySubject>) => subject(RG, {}, { name: "rg", urn: "urn:rg", ...more });
  const disk = (more: Partial<PolicySubject> = {}) =>
    subject(
      "azure-native:compute:Disk",
      {},
      { name: "data", urn: "urn:disk", retainOnDelete: true, propertyDependencies: { resourceGroupName: ["urn:rg"] }, ...more },
    );
  const check = (rs: PolicySubject[]) =>
    STACK_POLICY_RULES[0].checkStack(rs, {}).map((r) => [r.resource.name, r.findings.map((f) => (f.unverifiable ? `unverifiable: ${f.message}` : f.message))]);

  test("a retained or protected group that holds a retained disk passes; a group holding nothing retained is not its business", () => {
    expect(check([group({ retainOnDelete: true }), disk()])).toEqual([]);
    expect(check([group({ protect: true }), disk()])).toEqual([]);
    expect(check([group({}), disk({ retainOnDelete: false })])).toEqual([]);
    expect(check([group({}), disk({ propertyDependencies: {} })])).toEqual([]);
  });

  test("a group deleted on destroy that holds a retained disk fails; where retainOnDelete is unseen, it says so", () => {
    expect(check([group({}), disk()])).toEqual([["rg", ["rg: holds the retained data but is deleted on destroy, and takes data with it"]]]);
    expect(check([group({ retainOnDelete: undefined }), disk()])).toEqual([
      [
        "rg",
        ["unverifiable: rg: holds the retained data; not protected, and Pulumi's policy API does not pass retainOnDelete (npm run plan -- --policy checks it)"],
      ],
    ]);
  });
});

describe("the pack's configuration", () => {
  test("levels lower or disable a policy; advisory findings are kept but marked", () => {
    const open = subject("aws:ec2/securityGroup:SecurityGroup", { ingress: [{ cidrBlocks: ["0.0.0.0/0"] }] });
    expect(evaluate([open]).map((r) => [r.policy, r.enforcementLevel])).toEqual([["no-internet-ingress", "mandatory"]]);
    expect(evaluate([open], { "no-internet-ingress": "advisory" }).map((r) => [r.policy, r.enforcementLevel])).toEqual([["no-internet-ingress", "advisory"]]);
    expect(evaluate([open], { "no-internet-ingress": { enforcementLevel: "disabled" } })).toEqual([]);
  });

  test("a config naming an unknown policy, level or setting is refused", () => {
    const message = (config: unknown) => {
      try {
        validatePolicyConfig(config);
      } catch (e) {
        return (e as Error).message;
      }
      return "accepted";
    };
    expect(message({ "no-such": "advisory" })).toBe(`policy config: no policy "no-such"; the policies are ${policyNames().join(", ")}`);
    // The closest policy name, where one is close.
    expect(message({ "no-internet-ingres": "advisory" })).toBe('policy config: no policy "no-internet-ingres"; did you mean "no-internet-ingress"?');
    expect(message({ imdsv2: "advisory" })).toBe('policy config: no policy "imdsv2"; did you mean "aws-imdsv2"?');
    expect(message({ "data-retain": "advisory" })).toBe('policy config: no policy "data-retain"; did you mean "data-retained"?');
    expect(message({ "vm-sizes-allowed": "advisory" })).toBe('policy config: no policy "vm-sizes-allowed"; did you mean "vm-size-allowed"?');
    expect(message({ "vm-size-allowed": { allowedSize: ["g5.xlarge"] } })).toBe(
      'policy config: vm-size-allowed.allowedSize: not a setting of this policy (did you mean "allowedSizes"?)',
    );
    expect(() => validatePolicyConfig({ "aws-imdsv2": "off" })).toThrow(
      'policy config: aws-imdsv2.enforcementLevel "off" is not one of mandatory, advisory, disabled',
    );
    expect(() => validatePolicyConfig({ "aws-imdsv2": { allowedSizes: ["x"] } })).toThrow(
      "policy config: aws-imdsv2.allowedSizes: not a setting of this policy (it takes enforcementLevel)",
    );
    expect(() => validatePolicyConfig({ "vm-size-allowed": { allowedSizes: "g5.xlarge" } })).toThrow(
      "policy config: vm-size-allowed.allowedSizes: expected a list of size names",
    );
    expect(validatePolicyConfig({ "vm-size-allowed": { enforcementLevel: "advisory", allowedSizes: ["g5.xlarge"] } })).toEqual({
      "vm-size-allowed": { enforcementLevel: "advisory", allowedSizes: ["g5.xlarge"] },
    });
  });
});

describe("no-public-ip-on-workbench-vm (advisory by default)", () => {
  const P = "no-public-ip-on-workbench-vm";
  test("an instance passes only with associatePublicIpAddress false", () => {
    expect(check(P, subject("aws:ec2/instance:Instance", { associatePublicIpAddress: false }))).toEqual([]);
    expect(check(P, subject("aws:ec2/instance:Instance", { associatePublicIpAddress: true }))).toEqual([
      "r: associatePublicIpAddress is true; set it to false",
    ]);
    expect(check(P, subject("aws:ec2/instance:Instance", {}))).toEqual([
      "r: associatePublicIpAddress is unset (the subnet's default decides); set it to false",
    ]);
  });

  test("an Elastic IP on an instance or interface fails; an unattached one is not about a VM", () => {
    expect(check(P, subject("aws:ec2/eip:Eip", { domain: "vpc", instance: "i-0abc" }))).toEqual(["r: an Elastic IP on instance i-0abc"]);
    expect(check(P, subject("aws:ec2/eip:Eip", { networkInterface: "eni-0abc" }))).toEqual(["r: an Elastic IP on network interface eni-0abc"]);
    expect(check(P, subject("aws:ec2/eip:Eip", { domain: "vpc" }))).toEqual([]);
  });

  test("Azure: a NIC or VM with a public IP configuration fails", () => {
    expect(check(P, subject("azure-native:network:NetworkInterface", { ipConfigurations: [{ name: "ip", publicIPAddress: { id: "/x" } }] }))).toEqual([
      "r: 1 IP configuration(s) with a public IP address",
    ]);
    expect(check(P, subject("azure-native:network:NetworkInterface", { ipConfigurations: [{ name: "ip", subnet: { id: "/s" } }] }))).toEqual([]);
    const vm = (ip: Record<string, unknown>) =>
      subject("azure-native:compute:VirtualMachine", { networkProfile: { networkInterfaceConfigurations: [{ name: "nic", ipConfigurations: [ip] }] } });
    expect(check(P, vm({ name: "ip", publicIPAddressConfiguration: { name: "pip" } }))).toEqual([
      "r: 1 IP configuration(s) with a public IP address configuration",
    ]);
    expect(check(P, vm({ name: "ip" }))).toEqual([]);
  });

  test("is advisory unless the config says otherwise, and can be made mandatory or disabled", () => {
    const eip = subject("aws:ec2/eip:Eip", { instance: "i-0abc" });
    const levels = (config: PolicyConfig) => evaluate([eip], config).map((r) => [r.policy, r.enforcementLevel]);
    expect(levels({})).toEqual([[P, "advisory"]]);
    expect(levels({ [P]: "mandatory" })).toEqual([[P, "mandatory"]]);
    expect(levels({ [P]: { enforcementLevel: "disabled" } })).toEqual([]);
    expect(validatePolicyConfig({ [P]: "mandatory" })).toEqual({ [P]: "mandatory" });
  });
});

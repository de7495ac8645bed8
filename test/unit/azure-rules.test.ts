import * as zlib from "zlib";
import {
  AZURE_CUSTOM_DATA_MAX_BYTES,
  azureAdminNameProblem,
  dataDiskCaching,
  azureVmName,
  dnsLabelFor,
  encodeCustomData,
  nsgRules,
  secureBootFor,
  shutdownTime,
} from "../../components/targets/azure/rules";

describe("nsgRules", () => {
  it("opens only SSH, only to allowedCidrs, by default", () => {
    expect(nsgRules({ allowedCidrs: ["203.0.113.7/32", "198.51.100.0/24"], rdp: false, exposedPorts: [] })).toEqual([
      {
        name: "allow-ssh",
        priority: 100,
        direction: "Inbound",
        access: "Allow",
        protocol: "Tcp",
        sourceAddressPrefixes: ["203.0.113.7/32", "198.51.100.0/24"],
        sourcePortRange: "*",
        destinationAddressPrefix: "*",
        destinationPortRange: "22",
        description: "SSH from allowedCidrs",
      },
    ]);
  });

  it("adds RDP and each exposed port once, in port order, all from allowedCidrs", () => {
    const rules = nsgRules({ allowedCidrs: ["203.0.113.7/32"], rdp: true, exposedPorts: [8888, 8787, 8888] });
    expect(rules.map((r) => [r.name, r.priority, r.destinationPortRange, r.sourceAddressPrefixes])).toEqual([
      ["allow-ssh", 100, "22", ["203.0.113.7/32"]],
      ["allow-rdp", 110, "3389", ["203.0.113.7/32"]],
      ["allow-app-8787", 200, "8787", ["203.0.113.7/32"]],
      ["allow-app-8888", 201, "8888", ["203.0.113.7/32"]],
    ]);
  });

  it("refuses an empty allowedCidrs instead of opening anything", () => {
    expect(() => nsgRules({ allowedCidrs: [], rdp: false, exposedPorts: [] })).toThrow(
      'AzureGpuVm: allowedCidrs is empty; list the addresses that may reach SSH, e.g. ["203.0.113.7/32"]',
    );
  });
});

describe("names", () => {
  it("derives Azure-valid VM names", () => {
    expect(azureVmName("Workbench_Host-azure.t4")).toBe("workbench-host-azure-t4");
    expect(azureVmName("x".repeat(70) + "-y")).toBe("x".repeat(64));
    expect(azureVmName("--123")).toBe("vm-123");
    expect(() => azureVmName("___")).toThrow('AzureGpuVm: cannot derive a VM name from "___"; pass vmName');
  });

  it("derives a stable, valid DNS label with a hash of the seed", () => {
    const a = dnsLabelFor("workbench-host-azure-t4", "gpu-workbench/azure-t4/workbench-host");
    expect(a).toMatch(/^workbench-host-azure-t4-[0-9a-f]{6}$/);
    expect(dnsLabelFor("workbench-host-azure-t4", "gpu-workbench/azure-t4/workbench-host")).toBe(a);
    expect(dnsLabelFor("workbench-host-azure-t4", "gpu-workbench/azure-a100/workbench-host")).not.toBe(a);
    const long = dnsLabelFor("9" + "a".repeat(80), "s");
    expect(long).toMatch(/^[a-z][a-z0-9-]{1,61}[a-z0-9]$/);
    expect(dnsLabelFor("123", "s")).toMatch(/^wb-[0-9a-f]{6}$/);
  });

  it("refuses Azure's reserved admin names", () => {
    expect(azureAdminNameProblem("admin")).toBe('"admin" is reserved by Azure for a VM\'s admin user; the first admin needs another login name');
    expect(azureAdminNameProblem("Root")).toBeDefined();
    expect(azureAdminNameProblem("daniel")).toBeUndefined();
  });
});

describe("dataDiskCaching", () => {
  it("caches reads below 4 TiB only", () => {
    expect(dataDiskCaching(256)).toBe("ReadOnly");
    expect(dataDiskCaching(4095)).toBe("ReadOnly");
    expect(dataDiskCaching(4096)).toBe("None");
  });
});

describe("shutdownTime", () => {
  it("turns HH:MM into HHMM", () => {
    expect(shutdownTime("19:00")).toBe("1900");
    expect(shutdownTime("07:30")).toBe("0730");
    expect(() => shutdownTime("7pm")).toThrow('AzureGpuVm: autoShutdownTime "7pm" is not "HH:MM" (24-hour)');
  });
});

describe("secureBootFor", () => {
  it("turns Secure Boot off only for unsigned driver installs", () => {
    expect(secureBootFor("azure-extension")).toBe(false);
    expect(secureBootFor("azure-grid")).toBe(false);
    expect(secureBootFor("bootstrap-r580")).toBe(false);
    expect(secureBootFor("bootstrap-ubuntu-drivers")).toBe(true);
    expect(secureBootFor("none")).toBe(true);
  });
});

describe("encodeCustomData", () => {
  it("base64s a document that fits", () => {
    expect(Buffer.from(encodeCustomData("#cloud-config\n"), "base64").toString("utf8")).toBe("#cloud-config\n");
  });

  it("gzips a document over Azure's limit, and refuses one that does not fit gzipped", () => {
    const big = "#cloud-config\n" + "write_files: []\n".repeat(AZURE_CUSTOM_DATA_MAX_BYTES / 8);
    const encoded = Buffer.from(encodeCustomData(big), "base64");
    expect(encoded.subarray(0, 2).toString("hex")).toBe("1f8b");
    expect(zlib.gunzipSync(encoded).toString("utf8")).toBe(big);
    // Random bytes do not compress.
    const noise = Buffer.from(Array.from({ length: 100000 }, (_, i) => (i * 7919 + ((i * i) % 251)) % 256)).toString("base64");
    expect(() => encodeCustomData(noise)).toThrow(/Azure's customData limit is 65535 bytes$/);
  });
});

/**
 * workbench.image: which path each size takes (install, the GPU-ready image, the team's baked
 * image), the refusals word for word, the bootstrap a GPU-ready or baked image gets (its steps and
 * delivered scripts, exactly), the steps that verify instead of install (run for real), the
 * image's content hash, and the modeled time to ready per image mode.
 */
import { spawn, spawnSync } from "child_process";
import * as net from "net";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { generateEd25519OpenSsh } from "../../components/access/keys";
import { renderCloudInit } from "../../components/bootstrap";
import { bakeBuildSpec, bakeCommand, bakeContentHash, bakedImages } from "../../components/bootstrap/bake";
import { deliveredBundle, deliveredScripts, DELIVERED_SCRIPTS, stepsFor } from "../../components/bootstrap/scripts";
import { READY_FIGURES, timeToReady, VM_SUITE_SECONDS } from "../../components/bootstrap/timeToReady";
import { parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import { targetRules } from "../../components/config/targetRules";
import { azureSizes } from "../../components/targets/azure/sizes";
import { azureVmImage, NVIDIA_VMI, NVIDIA_VMI_PLAN, NVIDIA_VMI_TERMS_WARNING } from "../../components/targets/azure/images";
import { azureBakeBase, azureGalleryName, haltWaitScript } from "../../components/targets/azure/bake";
import { awsBakeBase, awsBakedAmiName, withImageHash } from "../../components/targets/aws/bake";
import { awsStoppedCosts } from "../../components/targets/aws/costs";
import { softLayerBakeBase, softLayerBakeBuildSpec } from "../../components/targets/softlayer/bake";
import { azureStoppedCosts } from "../../components/targets/azure/costs";
import { parse } from "yaml";
import { rawConfig } from "../support/fixtures";

const azure = (o: Record<string, unknown> = {}) => parseWorkbenchConfig(rawConfig(o), { region: "koreacentral" });
const problems = (raw: Record<string, unknown>, region: string | undefined = "koreacentral") => {
  try {
    parseWorkbenchConfig(raw, { region });
  } catch (e) {
    return (e as WorkbenchConfigError).problems;
  }
  return [];
};

describe("which path each Azure size takes", () => {
  test("every catalog size, default (stock) and gpu-ready: the driver route, or why the GPU-ready image does not serve it", () => {
    const paths = Object.keys(azureSizes.sizes).map((size) => {
      const stock = azure({ size });
      const ready = problems(rawConfig({ size, image: "gpu-ready" }));
      return [size, stock.image, stock.driverInstall, ready.length === 0 ? azure({ size, image: "gpu-ready" }).driverInstall : ready[0]];
    });
    const notServed = (size: string, model: string) =>
      `workbench.image: ${size} (${model}) is not served by NVIDIA's GPU-optimized VMI in this version (T4, A100 and H100 sizes are); use image: stock for this size`;
    const slice = (size: string) =>
      `workbench.image: ${size} is an A10 partition that only Microsoft's GRID driver drives; NVIDIA's GPU-optimized VMI carries the datacenter driver; use image: stock for this size`;
    expect(paths).toEqual([
      ["Standard_NC4as_T4_v3", "stock", "azure-extension", "preinstalled"],
      ["Standard_NC8as_T4_v3", "stock", "azure-extension", "preinstalled"],
      ["Standard_NC16as_T4_v3", "stock", "azure-extension", "preinstalled"],
      ["Standard_NC64as_T4_v3", "stock", "azure-extension", "preinstalled"],
      ["Standard_NC6s_v3", "stock", "bootstrap-r580", notServed("Standard_NC6s_v3", "NVIDIA V100")],
      ["Standard_NC12s_v3", "stock", "bootstrap-r580", notServed("Standard_NC12s_v3", "NVIDIA V100")],
      ["Standard_NC24s_v3", "stock", "bootstrap-r580", notServed("Standard_NC24s_v3", "NVIDIA V100")],
      ["Standard_NC24ads_A100_v4", "stock", "azure-extension", "preinstalled"],
      ["Standard_NC48ads_A100_v4", "stock", "azure-extension", "preinstalled"],
      ["Standard_NC96ads_A100_v4", "stock", "azure-extension", "preinstalled"],
      ["Standard_NV6ads_A10_v5", "stock", "azure-grid", slice("Standard_NV6ads_A10_v5")],
      ["Standard_NV12ads_A10_v5", "stock", "azure-grid", slice("Standard_NV12ads_A10_v5")],
      ["Standard_NV18ads_A10_v5", "stock", "azure-grid", slice("Standard_NV18ads_A10_v5")],
      ["Standard_NV36ads_A10_v5", "stock", "azure-grid", slice("Standard_NV36ads_A10_v5")],
      ["Standard_NC40ads_H100_v5", "stock", "bootstrap-ubuntu-drivers", "preinstalled"],
      ["Standard_D4s_v5", "stock", "none", "none"],
      ["Standard_D8s_v5", "stock", "none", "none"],
    ]);
  });

  test("the GPU-ready image is Ubuntu 22.04: another os is refused; the plan warns about the marketplace terms", () => {
    expect(problems(rawConfig({ image: "gpu-ready", os: "ubuntu-24.04" }))).toEqual([
      "workbench.image: NVIDIA's GPU-optimized VMI is Ubuntu 22.04; with os: ubuntu-24.04 the bootstrap installs the driver; use image: stock for this size",
    ]);
    expect(azure({ image: "gpu-ready" }).warnings).toContain(NVIDIA_VMI_TERMS_WARNING);
    expect(NVIDIA_VMI_TERMS_WARNING).toBe(
      "workbench.image: NVIDIA's GPU-optimized VMI is a marketplace image: accept its terms once per subscription before the first deployment (az vm image terms accept --urn nvidia:ngc_azure_17_11:ngc-base-version-24_03_4_gen2:latest); no azure-native resource does it",
    );
    expect(azure().warnings).not.toContain(NVIDIA_VMI_TERMS_WARNING);
  });

  test("the VM's image reference and plan per mode", () => {
    const stock = { publisher: "Canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts-gen2", version: "latest" };
    expect(azureVmImage({ image: "stock", os: "ubuntu-22.04", gpu: true })).toEqual({ imageReference: stock, plan: undefined });
    expect(azureVmImage({ image: "gpu-ready", os: "ubuntu-22.04", gpu: true })).toEqual({ imageReference: NVIDIA_VMI, plan: NVIDIA_VMI_PLAN });
    expect(azureVmImage({ image: "gpu-ready", os: "ubuntu-22.04", gpu: false })).toEqual({ imageReference: stock, plan: undefined });
    expect(azureVmImage({ image: "baked", os: "ubuntu-22.04", gpu: true, bakedImageId: "/x/versions/1.0.0" })).toEqual({
      imageReference: { id: "/x/versions/1.0.0" },
      plan: NVIDIA_VMI_PLAN,
    });
    expect(azureVmImage({ image: "baked", os: "ubuntu-22.04", gpu: false, bakedImageId: "/x" }).plan).toBeUndefined();
    expect(() => azureVmImage({ image: "baked", os: "ubuntu-22.04", gpu: true })).toThrow(
      "AzureGpuVm: image baked needs bakedImageId (the gallery image version)",
    );
  });
});

describe("the image key on other targets", () => {
  test("AWS: gpu-ready by default on a GPU size (its Deep Learning AMI); stock is refused there; baked builds from the Deep Learning AMI", () => {
    const aws = (o: Record<string, unknown>) => ({ ...rawConfig({ target: "aws", size: "g5.xlarge" }), ...o });
    expect(parseWorkbenchConfig(aws({}), { region: "ap-northeast-2" }).image).toBe("gpu-ready");
    expect(parseWorkbenchConfig(aws({ size: "m6i.xlarge" }), { region: "ap-northeast-2" }).image).toBe("stock");
    expect(problems(aws({ image: "stock" }), "ap-northeast-2")).toEqual([
      "workbench.image: stock is not available for AWS GPU sizes in this version: g5.xlarge boots the Deep Learning Base AMI (gpu-ready); remove image",
    ]);
    const baked = parseWorkbenchConfig(aws({ image: "baked" }), { region: "ap-northeast-2" });
    expect([baked.image, baked.driverInstall]).toEqual(["baked", "preinstalled"]);
    expect([bakeBuildSpec(baked).image, bakeBuildSpec(baked).driverInstall]).toEqual(["gpu-ready", "preinstalled"]);
    const privateBaked = { image: "baked", access: "private", allowedCidrs: undefined, aws: { subnetId: "subnet-0a1b2c3d4e5f60718" } };
    expect(problems(aws(privateBaked), "ap-northeast-2")).toEqual([
      "workbench.image: baked is not available with access: private and aws.vpcEndpoints in this version: the image's build instance reaches Session Manager before the workbench's endpoints exist, and a second set in the same VPC collides with them; set aws.vpcEndpoints: false (a subnet whose NAT reaches Systems Manager) or use image: gpu-ready",
    ]);
    expect(parseWorkbenchConfig(aws({ ...privateBaked, aws: { ...privateBaked.aws, vpcEndpoints: false } }), { region: "ap-northeast-2" }).image).toBe("baked");
  });

  test("Azure refuses baked with access: private, saying why (the build VM would need the workbench's Bastion)", () => {
    expect(problems(rawConfig({ image: "baked", access: "private", allowedCidrs: undefined }))).toEqual([
      "workbench.image: baked is not available with access: private on azure in this version: the image's build VM would be reached through the Bastion, which is created with the workbench's own VM after the image; use image: gpu-ready",
    ]);
  });

  test("SoftLayer bakes from its stock image (it has no GPU-ready one): the build guest installs by the flavor's route, the workbench verifies; no warning (the build guest is cancelled once captured)", () => {
    const sl = rawConfig({ target: "softlayer", size: "AC1_8X60X100", datacenter: "dal13", image: "baked" });
    const spec = parseWorkbenchConfig(sl, {});
    expect([spec.image, spec.driverInstall]).toEqual(["baked", "preinstalled"]);
    // Only the fixture's documentation address is warned of: nothing about the build guest, which is cancelled once captured.
    expect(spec.warnings).toEqual([
      'workbench.allowedCidrs: "203.0.113.7/32" is a documentation address (RFC 5737) that nobody has; fine for a plan or preview, refused by pulumi up; find yours with `curl -s https://checkip.amazonaws.com` (add /32), or use your VPN\'s egress range',
    ]);
    const build = softLayerBakeBuildSpec(spec);
    expect([build.image, build.driverInstall, build.users.map((u) => u.name), build.dataDiskGb]).toEqual(["stock", "bootstrap-r580", ["daniel"], 0]);
    // The stock image's steps, driver and all, run on the build guest.
    expect(stepsFor(build, "cloud-init")).toEqual(stepsFor(parseWorkbenchConfig({ ...sl, image: "stock" }, {}), "cloud-init"));
    expect(softLayerBakeBase(spec)).toBe("softlayer:UBUNTU_22_64");
    // gpu-ready stays refused: SoftLayer has none.
    expect(problems({ ...sl, image: "gpu-ready" })).toEqual(["workbench.image: target softlayer has no GPU-ready image in this version; use image: stock"]);
  });

  test("an existing host keeps its own system; a bad value names the choices", () => {
    expect(problems({ ...rawConfig({ target: "ssh", host: "203.0.113.9", image: "baked" }), size: undefined, allowedCidrs: undefined })).toContain(
      "workbench.image: not used by target ssh; the existing host keeps its own system; remove it",
    );
    expect(problems(rawConfig({ image: "golden" }))).toEqual(['workbench.image: "golden" is not one of stock, gpu-ready, baked']);
    expect(problems(rawConfig({ image: ["baked"] }))).toEqual(["workbench.image: a list is not one of stock, gpu-ready, baked"]);
  });
});

describe("the bootstrap a GPU-ready or baked image gets", () => {
  const cloudConfig = (o: Record<string, unknown>) => renderCloudInit(azure(o), { hostKey: generateEd25519OpenSsh("image-host"), rdpPasswordHashes: {} });

  test("the step lists, exactly: a baked image runs none of the steps it holds", () => {
    expect(stepsFor(azure(), "cloud-init")).toEqual(["datadisk", "users", "docker", "prepull", "driver", "toolkit", "ready"]);
    expect(stepsFor(azure({ image: "gpu-ready" }), "cloud-init")).toEqual(["datadisk", "users", "docker", "prepull", "driver", "toolkit", "ready"]);
    expect(stepsFor(azure({ image: "baked" }), "cloud-init")).toEqual(["datadisk", "users", "ready"]);
    expect(stepsFor(azure({ image: "baked", idleStop: {}, rdp: true }), "cloud-init")).toEqual(["datadisk", "metadata", "users", "rdp", "idle", "ready"]);
  });

  test("the delivered bundle of a baked image holds none of those scripts, and the user data names that bundle", () => {
    expect(deliveredScripts("baked")).toEqual(["idle.sh", "idle-check.sh", "rdp.sh", "ready.sh", "storage.sh"]);
    expect(deliveredScripts("gpu-ready")).toEqual(DELIVERED_SCRIPTS);
    expect(deliveredBundle("baked").sha256).not.toBe(deliveredBundle().sha256);
    expect(cloudConfig({ image: "baked" })).toContain(`GW_BUNDLE_SHA256=${deliveredBundle("baked").sha256}\n`);
    expect(cloudConfig({ image: "gpu-ready" })).toContain(`GW_BUNDLE_SHA256=${deliveredBundle().sha256}\n`);
  });

  test("GW_IMAGE tells the steps to verify; a stock image's config has no such line", () => {
    expect(cloudConfig({ image: "gpu-ready" })).toMatch(/\n +GW_DRIVER_INSTALL=preinstalled\n +GW_IMAGE=gpu-ready\n/);
    expect(cloudConfig({ image: "baked" })).toContain("GW_IMAGE=baked\n");
    expect(cloudConfig({})).not.toContain("GW_IMAGE=");
  });
});

describe("steps that verify instead of install, run for real", () => {
  const SCRIPTS = path.join(__dirname, "../../components/bootstrap/scripts");
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-i24-image-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  /** A PATH of the few tools the steps use before their check: no dockerd, no nvidia-ctk, no apt. */
  const bin = () => {
    const b = path.join(dir, "bin");
    if (fs.existsSync(b)) return b;
    fs.mkdirSync(b);
    for (const tool of ["bash", "python3", "mkdir", "chmod", "mv", "dirname", "date", "tr", "sed", "cat"]) {
      // The system's own tools (a version manager's shims need more than this PATH).
      const found = ["/usr/bin", "/bin"].map((d) => path.join(d, tool)).find((f) => fs.existsSync(f))!;
      fs.symlinkSync(found, path.join(b, tool));
    }
    return b;
  };
  const run = (step: string, env: Record<string, string>) => {
    const r = spawnSync(path.join(bin(), "bash"), [path.join(SCRIPTS, `${step}.sh`)], {
      encoding: "utf8",
      env: { PATH: path.join(dir, "bin"), GW_TARGET: "azure", GW_MARKER: path.join(dir, "ready.json"), GW_DAEMON_JSON: path.join(dir, "daemon.json"), ...env },
      timeout: 20000,
    });
    return { status: r.status, marker: JSON.parse(fs.readFileSync(path.join(dir, "ready.json"), "utf8")) };
  };

  test("docker.sh on a GPU-ready or baked image without Docker fails, naming the image, and installs nothing", () => {
    for (const image of ["gpu-ready", "baked"]) {
      expect(run("docker", { GW_IMAGE: image })).toEqual({
        status: 1,
        marker: {
          status: "failed",
          step: "docker",
          message: `Docker is not on this machine, but its ${image} image should hold it: the VM booted another image than the workbench names`,
        },
      });
    }
  });

  test("toolkit.sh on a GPU-ready image without the toolkit fails the same way; a stock image would go on to install it", () => {
    expect(run("toolkit", { GW_IMAGE: "gpu-ready", GW_GPU_COUNT: "1" })).toEqual({
      status: 1,
      marker: {
        status: "failed",
        step: "toolkit",
        message:
          "the NVIDIA Container Toolkit is not on this machine, but its gpu-ready image should hold it: the VM booted another image than the workbench names",
      },
    });
    // Stock: past the check, to the install (which fails here on the missing apt tooling, not on the check).
    const stock = run("toolkit", { GW_GPU_COUNT: "1" });
    expect(stock.status).not.toBe(0);
    expect(stock.marker.message).not.toMatch(/image should hold it/);
  });
});

describe("the baked image's content", () => {
  test("the build spec: the deployer alone, no storage, RDP, idle stop, schedule or data disk, on the GPU-ready image", () => {
    const spec = azure({ image: "baked", idleStop: {}, rdp: true, autoShutdown: { time: "19:00", timeZone: "UTC" } });
    const build = bakeBuildSpec(spec);
    expect([
      build.users.map((u) => u.name),
      build.storage,
      build.rdp,
      build.idleStop,
      build.autoShutdown,
      build.dataDiskGb,
      build.image,
      build.driverInstall,
    ]).toEqual([["daniel"], [], false, undefined, undefined, 0, "gpu-ready", "preinstalled"]);
    expect(stepsFor(build, "cloud-init")).toEqual(["datadisk", "users", "docker", "prepull", "driver", "toolkit", "ready"]);
    expect(bakedImages(spec)).toEqual(["quay.io/jupyter/pytorch-notebook:cuda12-2025-08-18", "rocker/rstudio:4.5.1"]);
  });

  test("the content hash: the same for another team or size of the same family, new with another app set or base", () => {
    const base = azureBakeBase(azure({ image: "baked" }));
    expect(base).toBe("nvidia:ngc_azure_17_11:ngc-base-version-24_03_4_gen2:latest");
    const hash = bakeContentHash(azure({ image: "baked" }), base);
    expect(hash).toMatch(/^[0-9a-f]{12}$/);
    expect(bakeContentHash(azure({ image: "baked", users: [rawConfig().users![0 as never]] }), base)).toBe(hash);
    expect(bakeContentHash(azure({ image: "baked", size: "Standard_NC8as_T4_v3" }), base)).toBe(hash);
    expect(bakeContentHash(azure({ image: "baked", apps: [{ kind: "jupyter-pytorch" }] }), base)).not.toBe(hash);
    expect(bakeContentHash(azure({ image: "baked" }), "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest")).not.toBe(hash);
    expect(azureGalleryName("azure-baked-image")).toBe("gw_azure_baked_image");
  });

  test("the bake command: one sudo runs bake-clean.sh, then bake-stop.sh for the target", () => {
    const cmd = bakeCommand("azure");
    expect(cmd.startsWith("#!/bin/sh\nset -eu\nGW_BAKE_CLEAN='#!/bin/bash\n")).toBe(true);
    expect(
      cmd.endsWith(`sudo -n bash -c 'bash -c "$1" bake-clean && GW_TARGET="$3" bash -c "$2" bake-stop' bake "$GW_BAKE_CLEAN" "$GW_BAKE_STOP" 'azure'\n`),
    ).toBe(true);
    // sh reads back the exact scripts.
    const r = spawnSync("sh", ["-c", cmd.replace(/sudo -n .*\n$/, 'printf "%s" "$GW_BAKE_CLEAN" | sha256sum; printf "%s" "$GW_BAKE_STOP" | sha256sum\n')], {
      encoding: "utf8",
    });
    const sha = (name: string) =>
      spawnSync("sha256sum", [path.join(__dirname, "../../components/bootstrap/scripts", name)], { encoding: "utf8" }).stdout.split(" ")[0];
    expect(r.stdout.split("\n").map((l) => l.split(" ")[0])).toEqual([sha("bake-clean.sh"), sha("bake-stop.sh"), ""]);
  });
});

describe("the AWS bake's pure parts", () => {
  const awsBaked = (o: Record<string, unknown> = {}) =>
    parseWorkbenchConfig(rawConfig({ target: "aws", size: "g5.xlarge", image: "baked", ...o }), { region: "ap-northeast-2" });

  test("the base is the Deep Learning AMI's SSM parameter (a CPU size: Canonical's); the hash follows the apps, not the team", () => {
    expect(awsBakeBase(awsBaked())).toBe("ssm:/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id");
    expect(awsBakeBase(awsBaked({ size: "m6i.xlarge" }))).toBe("ssm:/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id");
    const hash = bakeContentHash(awsBaked(), awsBakeBase(awsBaked()));
    expect(bakeContentHash(awsBaked({ users: [rawConfig().users![0 as never]] }), awsBakeBase(awsBaked()))).toBe(hash);
    expect(bakeContentHash(awsBaked({ apps: [{ kind: "rstudio" }] }), awsBakeBase(awsBaked()))).not.toBe(hash);
  });

  test("the AMI's name: the workbench's name in EC2's characters and the hash; the build user data names the hash on its second line", () => {
    expect(awsBakedAmiName("aws-baked-image", "0123456789ab")).toBe("gpu-workbench-aws-baked-image-0123456789ab");
    expect(awsBakedAmiName("team:lab*1", "0123456789ab")).toBe("gpu-workbench-team-lab-1-0123456789ab");
    expect(withImageHash("#cloud-config\nusers: []\n", "0123456789ab")).toBe("#cloud-config\n# gpu-workbench team image 0123456789ab\nusers: []\n");
    expect(() => withImageHash("#!/bin/sh\n", "0123456789ab")).toThrow("AwsBakedImage: the build instance's user data is not a #cloud-config document");
  });

  test("bake-stop.sh on AWS only syncs (EC2's StopInstances stops it); elsewhere it goes on to power off", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-i24-bake-stop-"));
    try {
      // bash, id, sync and nothing else: no systemd-run, so a power-off attempt fails loudly.
      for (const tool of ["bash", "id", "sync"]) {
        const found = ["/usr/bin", "/bin"].map((d) => path.join(d, tool)).find((f) => fs.existsSync(f))!;
        fs.symlinkSync(found, path.join(dir, tool));
      }
      const stop = (target: string) =>
        spawnSync(path.join(dir, "bash"), [path.join(__dirname, "../../components/bootstrap/scripts/bake-stop.sh")], {
          encoding: "utf8",
          env: { PATH: dir, GW_TARGET: target },
        });
      const aws = stop("aws");
      expect([aws.status, aws.stderr]).toEqual([0, "gpu-workbench[bake-stop]: synced; EC2 stops the instance (the deployer's StopInstances)\n"]);
      const other = stop("ssh");
      expect(other.status).toBe(127);
      expect(other.stderr).toContain("gpu-workbench[bake-stop]: powering off\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("bake-clean.sh's removal of the Systems Manager agent's state at the shutdown (private: the session rides the agent), run by bash", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-i24-ssm-state-"));
    try {
      const state = [path.join(dir, "lib-ssm"), path.join(dir, "log-ssm")];
      for (const d of state) {
        fs.mkdirSync(path.join(d, "i-0123456789abcdef0"), { recursive: true });
        fs.writeFileSync(path.join(d, "i-0123456789abcdef0", "credentials"), "per-instance\n");
      }
      const script = fs.readFileSync(path.join(__dirname, "../../components/bootstrap/scripts/bake-clean.sh"), "utf8");
      const line = script.split("\n").find((l) => l.startsWith("ssm_clear_on_stop="))!;
      // The unit's command, as bake-clean.sh hands it to systemd-run; stopped (SIGTERM) a moment after it starts.
      const r = spawnSync(
        "bash",
        ["-c", `${line}\nbash -c "$ssm_clear_on_stop" "$1" & p=$!\nsleep 1\nls "$2" >/dev/null\nkill -TERM "$p"\nwait "$p"`, "run", state.join(" "), state[0]],
        {
          encoding: "utf8",
          timeout: 20000,
        },
      );
      expect([r.status, r.stderr]).toEqual([0, ""]);
      expect(state.map((d) => fs.existsSync(d))).toEqual([false, false]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("bake-clean.sh trims cloud-init's module lists (run with Debian's cloud-init, the VM suite's 22.4)", () => {
    const script = fs.readFileSync(path.join(__dirname, "../../components/bootstrap/scripts/bake-clean.sh"), "utf8");
    /** A shell assignment of the script: from `name='` to the line that closes the quote. */
    const assignment = (name: string) => {
      const from = script.indexOf(`\n${name}='`) + 1;
      const to = script.indexOf("'\n", script.indexOf("'", from) + 1) + 2;
      return script.slice(from, to);
    };
    const dropTable = () =>
      new Map(
        assignment("cloud_ci_drop")
          .replace(/^cloud_ci_drop='|'\n$/g, "")
          .split("\n")
          .map((l) => [l.split(" ")[0], l.split(" ").slice(1)]),
      );
    function trim(files: Record<string, string>) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-i24k-cloudcfg-"));
      try {
        fs.mkdirSync(path.join(dir, "cloud.cfg.d"));
        for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
        return spawnSync(
          "bash",
          [
            "-c",
            `${assignment("cloud_ci_drop")}${assignment("cloud_ci_trim")}GW_CLOUD_CI_DROP="$cloud_ci_drop" GW_CLOUD_CFG="$1" /usr/bin/python3 -c "$cloud_ci_trim"`,
            "trim",
            path.join(dir, "cloud.cfg"),
          ],
          { encoding: "utf8", timeout: 60000 },
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    // Ubuntu's lists (cloud-init's cloud.cfg.tmpl for ubuntu, 24.x-26.x), with a frequency pair and a vendor's own module.
    const ubuntu = [
      "cloud_init_modules: [seed_random, bootcmd, write_files, growpart, resizefs, disk_setup, mounts, set_hostname, update_hostname, update_etc_hosts, ca_certs, rsyslog, users_groups, ssh, set_passwords]",
      "cloud_config_modules: [wireguard, snap, ubuntu_autoinstall, ssh_import_id, keyboard, locale, grub_dpkg, apt_pipelining, apt_configure, ubuntu_pro, ntp, timezone, disable_ec2_metadata, [runcmd, always], byobu, vendor_own]",
      "cloud_final_modules: [package_update_upgrade_install, fan, landscape, lxd, ubuntu_drivers, write_files_deferred, puppet, chef, ansible, mcollective, salt_minion, reset_rmc, scripts_vendor, scripts_per_once, scripts_per_boot, scripts_per_instance, scripts_user, ssh_authkey_fingerprints, keys_to_console, install_hotplug, phone_home, final_message, power_state_change]",
      "",
    ].join("\n");

    test("an Ubuntu image's lists: the table's modules go, what a workbench and the clouds need stays, in order; a module the image's own config gives work stays", () => {
      const plain = trim({ "cloud.cfg": ubuntu });
      expect({ status: plain.status, stderr: plain.stderr }).toEqual({ status: 0, stderr: "" });
      expect(plain.stdout).toBe(
        [
          'cloud_init_modules: ["seed_random", "write_files", "growpart", "resizefs", "disk_setup", "mounts", "set_hostname", "update_hostname", "update_etc_hosts", "users_groups", "ssh", "set_passwords"]',
          'cloud_config_modules: ["apt_configure", ["runcmd", "always"], "vendor_own"]',
          'cloud_final_modules: ["scripts_vendor", "scripts_per_once", "scripts_per_boot", "scripts_per_instance", "scripts_user", "install_hotplug", "final_message"]',
          ...[
            "bootcmd ca_certs rsyslog wireguard snap ubuntu_autoinstall ssh_import_id keyboard locale grub_dpkg apt_pipelining ubuntu_pro ntp timezone disable_ec2_metadata byobu",
            "package_update_upgrade_install fan landscape lxd ubuntu_drivers write_files_deferred puppet chef ansible mcollective salt_minion reset_rmc ssh_authkey_fingerprints keys_to_console phone_home power_state_change",
          ]
            .join(" ")
            .split(" ")
            .map((m) => `# dropped ${m}`),
          "",
        ].join("\n"),
      );
      // The image's cloud.cfg.d sets bootcmd (a key of the table) and ntp (a key its module activates on): both stay.
      const vendor = trim({ "cloud.cfg": ubuntu, "cloud.cfg.d/50-vendor.cfg": "bootcmd: [[true]]\nntp: {enabled: true}\n" });
      expect(vendor.status).toBe(0);
      expect(vendor.stdout.split("\n").slice(0, 2)).toEqual([
        'cloud_init_modules: ["seed_random", "bootcmd", "write_files", "growpart", "resizefs", "disk_setup", "mounts", "set_hostname", "update_hostname", "update_etc_hosts", "users_groups", "ssh", "set_passwords"]',
        'cloud_config_modules: ["apt_configure", "ntp", ["runcmd", "always"], "vendor_own"]',
      ]);
      expect(vendor.stdout).not.toContain("# dropped bootcmd\n");
      expect(vendor.stdout).not.toContain("# dropped ntp\n");
    });

    test("an image whose config lists no module for a stage is refused (a trimmed copy would run nothing)", () => {
      const r = trim({ "cloud.cfg": "cloud_init_modules: [bootcmd]\ncloud_config_modules: [runcmd]\ncloud_final_modules: [scripts_user]\n" });
      expect({ status: r.status, stderr: r.stderr, stdout: r.stdout }).toEqual({ status: 1, stderr: "the image lists no cloud_init_modules\n", stdout: "" });
    });

    test("every key our user data sets keeps its module: none of them is in the table", () => {
      // cloud-init's modules per key of the renderer's document (runcmd's script runs in scripts_user).
      const moduleOf: Record<string, string[]> = {
        ssh_deletekeys: ["ssh"],
        ssh_genkeytypes: ["ssh"],
        ssh_keys: ["ssh"],
        ssh_pwauth: ["set_passwords"],
        write_files: ["write_files"],
        runcmd: ["runcmd", "scripts_user"],
      };
      const table = dropTable();
      for (const spec of [
        azure(),
        azure({ rdp: true }),
        azure({ image: "baked" }),
        parseWorkbenchConfig(rawConfig({ target: "aws", size: "g5.xlarge" }), { region: "us-east-1" }),
      ]) {
        const hashes = Object.fromEntries(spec.users.map((u) => [u.name, `$6$gwsalt$${"a".repeat(86)}`]));
        const doc = parse(renderCloudInit(spec, { hostKey: generateEd25519OpenSsh(), rdpPasswordHashes: hashes })) as Record<string, unknown>;
        for (const key of Object.keys(doc)) {
          expect({ key, modules: moduleOf[key] }).toEqual({ key, modules: expect.any(Array) });
          for (const m of moduleOf[key]) expect({ key, dropped: table.has(m) }).toEqual({ key, dropped: false });
        }
        // write_files_deferred is dropped: no file of ours is deferred.
        expect((doc.write_files as Record<string, unknown>[]).filter((f) => "defer" in f)).toEqual([]);
      }
      // The per-boot hook (run.sh's resume) and Azure's admin need these too.
      for (const m of [
        "scripts_per_boot",
        "users_groups",
        "final_message",
        "seed_random",
        "growpart",
        "resizefs",
        "disk_setup",
        "mounts",
        "set_hostname",
        "apt_configure",
      ]) {
        expect({ m, dropped: table.has(m) }).toEqual({ m, dropped: false });
      }
    });
  });

  test("the month bills the baked image: the stopped build machine's OS disk, and on AWS the AMI's snapshot (at most the OS disk)", () => {
    const labels = (costs: { label: string; monthly: number }[]) => costs.map((c) => [c.label, c.monthly]);
    expect(labels(awsStoppedCosts(128, 256, awsBaked()))).toEqual([
      ["OS disk 128 GB (gp3)", 10.24],
      ["data disk 256 GB (gp3)", 20.48],
      ["baked image: the stopped build instance's OS disk 128 GB (gp3)", 10.24],
      ["baked image: the AMI's snapshot, at most 128 GB (EBS snapshot USD 0.05/GB-month)", 6.4],
      ["public IPv4 address", 3.65],
    ]);
    expect(awsStoppedCosts(128, 256, awsBaked({ image: "gpu-ready" })).map((c) => c.label)).toEqual([
      "OS disk 128 GB (gp3)",
      "data disk 256 GB (gp3)",
      "public IPv4 address",
    ]);
    expect(labels(azureStoppedCosts(128, 256, azure({ image: "baked" })))).toEqual([
      ["OS disk 128 GB (Premium SSD P10)", 19.71],
      ["data disk 256 GB (Premium SSD P15)", 38.01],
      ["baked image: the deallocated build VM's OS disk 128 GB (Premium SSD P10)", 19.71],
      ["baked image: the build VM's public IPv4 address", 3.65],
      ["public IPv4 address", 3.65],
    ]);
  });

  test("the model: the AWS team on its baked AMI, the apps' first reads from the snapshot added", () => {
    const t = timeToReady(awsBaked());
    expect(t.steps.map((s) => [s.step, s.startMinute, s.minutes, s.image ?? ""])).toEqual([
      ["provision", 0, 2, ""],
      ["datadisk", 2, 1, ""],
      ["users", 3, 0.04, ""],
      ["docker", 3.04, 0, "baked"],
      ["prepull", 3.04, 0, "baked"],
      ["driver", 3.04, 0, "baked"],
      ["toolkit", 3.04, 0, "baked"],
      ["ready", 3.04, 0.03, ""],
      ["apps", 3.07, 1.5, ""],
    ]);
    expect(t.steps.at(-1)!.note).toBe(
      "2 container(s) started; their image files read for the first time from the image's snapshot (aws restores the disk lazily: +1 min)",
    );
    expect(t.totalMinutes).toBe(5);
    // The same team on the Deep Learning AMI waits for its pulls.
    expect(timeToReady(awsBaked({ image: "gpu-ready" })).totalMinutes).toBe(10);
  });
});

describe("the model per image mode", () => {
  test("the reference Azure T4 + Jupyter + RStudio team on its baked image: at most 3 min, the held steps shown as baked", () => {
    const t = timeToReady(azure({ image: "baked" }));
    expect(t.steps.map((s) => [s.step, s.startMinute, s.minutes, s.image ?? ""])).toEqual([
      ["provision", 0, 2, ""],
      ["datadisk", 2, 0.07, ""],
      ["users", 2.07, 0.04, ""],
      ["docker", 2.11, 0, "baked"],
      ["prepull", 2.11, 0, "baked"],
      ["driver", 2.11, 0, "baked"],
      ["toolkit", 2.11, 0, "baked"],
      ["ready", 2.11, 0.03, ""],
      ["apps", 2.13, 0.5, ""],
    ]);
    expect(t.totalMinutes).toBe(3);
    expect(t.imageMode).toBe("baked team image: the driver, Docker, the toolkit and the apps' images come with the team's image; the bootstrap verifies them");
  });

  test("the same team on the GPU-ready image verifies the driver and the toolkit, and waits for its pulls", () => {
    const t = timeToReady(azure({ image: "gpu-ready" }));
    expect(t.steps.filter((s) => s.image).map((s) => [s.step, s.minutes, s.image])).toEqual([
      ["docker", 0.14, "verify"],
      ["prepull", 0.01, "install"],
      ["pull", 5.97, "install"],
      ["driver", 0.2, "verify"],
      ["toolkit", 0.5, "verify"],
    ]);
    // The pull (5.97 min from minute 2.26) is the long pole: the apps start at 8.23.
    expect(t.totalMinutes).toBe(9);
    expect(t.imageMode).toBe("GPU image: the driver, Docker and the toolkit come with the image; the bootstrap verifies them");
    expect(
      timeToReady(azure())
        .steps.filter((s) => s.image)
        .map((s) => s.image),
    ).toEqual(["install", "install", "install", "install", "install"]);
  });

  test("Azure's data disk step is the VM suite's (the disk is attached in the create call), within 20%", () => {
    const [lo, hi] = VM_SUITE_SECONDS.datadisk;
    const measured = (lo + hi) / 2;
    expect(Math.abs(targetRules("azure").readyFigures!.datadiskMinutes * 60 - measured)).toBeLessThanOrEqual(0.2 * measured);
    expect(READY_FIGURES.ready).toBe(0.025);
  });
});

describe("the bake's halt wait, run by bash against a real port", () => {
  const runWait = (port: number, attempts: number) =>
    new Promise<{ code: number | null; stderr: string; ms: number }>((resolve) => {
      const started = Date.now();
      const child = spawn("/bin/bash", ["-c", haltWaitScript(0, attempts)], { env: { ...process.env, GW_HOST: "127.0.0.1", GW_PORT: String(port) } });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += String(d)));
      child.on("close", (code) => resolve({ code, stderr, ms: Date.now() - started }));
    });
  const listen = () =>
    new Promise<net.Server>((resolve) => {
      const server = net.createServer((s) => s.destroy());
      server.listen(0, "127.0.0.1", () => resolve(server));
    });
  const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

  test("it waits while the port answers and ends once it stops", async () => {
    const server = await listen();
    const port = portOf(server);
    const done = runWait(port, 10);
    await new Promise((r) => setTimeout(r, 3000));
    server.close();
    const r = await done;
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.ms).toBeGreaterThanOrEqual(3000);
  }, 30_000);

  test("a machine that never stops fails the wait, naming the port", async () => {
    const server = await listen();
    const port = portOf(server);
    const r = await runWait(port, 2);
    server.close();
    expect([r.code, r.stderr]).toEqual([1, `the build VM still answers on port ${port} after 2 probes: it did not stop\n`]);
  }, 30_000);
});

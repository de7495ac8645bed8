/**
 * Modeled time to ready: from `pulumi up` to the apps answering, bootstrap step by bootstrap step,
 * from stated figures: the steps the VM suite runs (test/vm, QEMU under TCG) take its measured
 * times (VM_SUITE_SECONDS); the others (vendor installs, pulls, the cloud's provisioning) are
 * planning figures, since no cloud or registry is reachable where this is developed. Pure.
 */
import { appCatalog } from "../config/appCatalog";
import { SPARK_CONNECTOR_JARS } from "../cluster/spark";
import { workerSpec } from "../cluster/workers";
import type { WorkbenchSpec } from "../config/spec";
import { targetRules } from "../config/targetRules";
import { HELD_BY_BAKED_IMAGE, StepName, stepsFor } from "./scripts";

/**
 * Step times the VM suite measured (`npm run test:vm`, run of 2026-12-06 00:40 UTC: "starts at ... takes"
 * lines of its Azure first boot, Azure replacement, AWS boot and Azure GPU-size boots), seconds,
 * [low, high]. QEMU under TCG emulates the CPU, so these are upper bounds for the CPU-bound steps.
 */
export const VM_SUITE_SECONDS = {
  /** Boot and cloud-init until the bootstrap's first step (a cloud adds its own create time). */
  boot: [33, 34],
  /** Formatting a blank disk (lazy ext4 init) and mounting /data; a cloud adds the disk's attachment. */
  datadisk: [4, 4],
  users: [2, 3],
  /** Docker already in the image: daemon.json merged, the daemon restarted and answering. */
  dockerPresent: [8, 9],
  prepull: [0, 1],
  ready: [1, 2],
} as const;

const vmSuite = (step: keyof typeof VM_SUITE_SECONDS) => {
  const [lo, hi] = VM_SUITE_SECONDS[step];
  return `VM suite: ${lo === hi ? lo : `${lo}-${hi}`} s`;
};

/** The figures the model uses, in minutes unless named otherwise. */
export const READY_FIGURES = {
  /** Sustained image pull, download and unpacking together, MB of unpacked image a second. */
  pullMegabytesPerSecond: 40,
  /** From the create call to cloud-init running the first step. */
  /** Formatting (lazy ext4 init) and mounting the data disk; AWS also waits for the attachment. */
  hostkey: 0.1,
  /** Measured (VM_SUITE_SECONDS.users: 2-3 s). */
  users: 0.04,
  /** Docker Engine from Docker's apt repository; the AWS GPU image has it. */
  dockerInstall: 1.5,
  /** Measured (VM_SUITE_SECONDS.dockerPresent: 8-9 s). */
  dockerPresent: 0.14,
  /** Starting the background pull; measured (VM_SUITE_SECONDS.prepull: 0-1 s). */
  prepull: 0.01,
  /** Installing the driver by route (azure-extension: Azure's extension, beside the bootstrap). */
  driver: { "azure-extension": 10, "azure-grid": 8, "bootstrap-ubuntu-drivers": 6, "bootstrap-r580": 6, preinstalled: 0.2, none: 0 } as Record<string, number>,
  /** The one reboot a bootstrap driver install needs: the 30 s grace, the boot, the run resuming. */
  reboot: 2.5,
  /** NVIDIA Container Toolkit from NVIDIA's repository, Docker's restart, the CUDA check container. */
  toolkitInstall: 1.5,
  toolkitPresent: 0.5,
  /** xrdp and Xfce from Ubuntu's repository. */
  rdp: 5,
  idle: 0.1,
  /** Measured (VM_SUITE_SECONDS.ready: 1-2 s). */
  ready: 0.025,
  /** Creating the containers once the images are there. */
  apps: 0.5,
  /** A cluster worker has no data disk: the step only makes the directories. */
  datadiskNone: 0.01,
  /** Downloading the Spark connector jars from Maven Central onto a node, MB a second. */
  jarMegabytesPerSecond: 40,
  /** A Spark daemon's container started, its JVM up and (a worker) registered with the master. */
  sparkStart: 0.5,
};

export interface ReadyStepTime {
  /** A bootstrap step, or "provision" / "apps". */
  step: string;
  /**
   * For the steps an image may hold (docker, prepull/pull, driver, toolkit): install (stock image),
   * verify (the GPU-ready image has it) or baked (the team's image holds it: not shipped, not run).
   */
  image?: string | undefined;
  /** Minutes after `pulumi up` started. */
  startMinute: number;
  minutes: number;
  /** Runs beside the other steps (the image pre-pull). */
  background: boolean;
  /** What the figure covers. */
  note: string;
}

/** A Spark cluster's workers: every worker boots the same steps, beside the head, so one lane stands for all. */
export interface WorkersTimeToReady {
  /** How many workers boot this lane at once. */
  count: number;
  /** The workers' size. */
  size: string;
  /** The workers' own image mode (their size's default on the target). */
  imageMode: string;
  /** One worker's steps, from `pulumi up`: its VM and bootstrap, then its Spark node (after the head's ready). */
  steps: ReadyStepTime[];
  /** Minutes until every worker's Spark daemon has joined the master. */
  readyMinute: number;
}

export interface TimeToReady {
  /** Which image the size boots and what the bootstrap does with its driver: install or verify. */
  imageMode: string;
  steps: ReadyStepTime[];
  /** A Spark cluster's workers (their lane runs beside the head's steps); undefined without a cluster. */
  workers?: WorkersTimeToReady | undefined;
  /** Until the apps answer (with a cluster: and every worker's Spark daemon has joined the master). */
  totalMinutes: number;
  /** The figures, in words. */
  assumptions: string[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The image mode of a spec's size, in words: what the bootstrap installs and what it verifies. */
export function imageMode(spec: WorkbenchSpec): string {
  if (targetRules(spec.target).kind !== "cloud") return spec.gpu ? "the host's own system and driver, verified" : "the host's own system, no GPU";
  switch (spec.image) {
    case "baked":
      return "baked team image: the driver, Docker, the toolkit and the apps' images come with the team's image; the bootstrap verifies them";
    case "gpu-ready":
      if (spec.gpu) return "GPU image: the driver, Docker and the toolkit come with the image; the bootstrap verifies them";
      return "stock image, no GPU: no driver";
    default:
      return spec.driverInstall === "none"
        ? "stock image, no GPU: no driver"
        : `stock image: the driver is installed at boot (${spec.driverInstall}), then verified`;
  }
}

/** Distinct images of the spec and their unpacked size (the catalog's estimate), GB. */
function imagesGb(spec: WorkbenchSpec): number {
  const seen = new Set<string>();
  let gb = 0;
  for (const a of spec.apps) {
    if (seen.has(a.image)) continue;
    seen.add(a.image);
    gb += appCatalog[a.kind].approxImageGb;
  }
  return gb;
}

/** The modeled wait for this spec, per step. */
export function timeToReady(spec: WorkbenchSpec): TimeToReady {
  const f = READY_FIGURES;
  const rules = targetRules(spec.target);
  const cloud = rules.kind === "cloud";
  // A cloud target without figures of its own takes 3 min to boot and 0.5 min for /data.
  const figures = rules.readyFigures ?? { provisionMinutes: 3, datadiskMinutes: 0.5 };
  const pullMinutes = (imagesGb(spec) * 1024) / f.pullMegabytesPerSecond / 60;
  const steps: ReadyStepTime[] = [];
  let t = 0;
  let pullEnds = 0;
  // The image's part in each step that installs: install on a stock image, verify on a GPU-ready one.
  const imageHasDocker = spec.image !== "stock" && spec.gpu !== undefined;
  const stepImage: string | undefined = cloud ? (imageHasDocker ? "verify" : "install") : undefined;
  const add = (step: string, minutes: number, note: string, image?: ReadyStepTime["image"]) => {
    steps.push({ step, startMinute: round2(t), minutes: round2(minutes), background: false, note, ...(image ? { image } : {}) });
    t += minutes;
  };

  if (rules.kind === "local") {
    steps.push({ step: "pull", startMinute: 0, minutes: round2(pullMinutes), background: false, note: `${imagesGb(spec)} GB of images` });
    t = pullMinutes;
  } else {
    if (cloud) add("provision", figures.provisionMinutes, "the VM created and booted until cloud-init starts the bootstrap");
    const mode = cloud ? "cloud-init" : "ssh";
    for (const step of stepsFor(spec, mode) as StepName[]) {
      switch (step) {
        case "hostkey":
          add(step, f.hostkey, "the pinned host key");
          break;
        case "datadisk":
          if (cloud && spec.dataDiskGb === 0) add(step, f.datadiskNone, "no data disk: /data's directories on the OS disk");
          else {
            add(
              step,
              cloud ? figures.datadiskMinutes : 0.1,
              cloud ? `attach, format (a blank disk) and mount /data; ${vmSuite("datadisk")} to format and mount` : "the host's own /data",
            );
          }
          break;
        case "users":
          add(step, f.users, `${spec.users.length} user(s); ${vmSuite("users")}`);
          // The steps a baked image holds: shown, never shipped or run (ready.sh verifies what they made).
          if (spec.image === "baked") {
            const held = HELD_BY_BAKED_IMAGE.filter((h) => (h === "prepull" ? spec.apps.length > 0 : h === "docker" || spec.gpu !== undefined));
            for (const h of held) {
              add(h, 0, h === "prepull" ? "the apps' images are in the baked image" : "held by the baked image: not shipped, not run", "baked");
            }
          }
          break;
        case "docker":
          add(
            step,
            imageHasDocker || !cloud ? f.dockerPresent : f.dockerInstall,
            imageHasDocker || !cloud ? `Docker already on the host; ${vmSuite("dockerPresent")}` : "Docker Engine from Docker's apt repository",
            stepImage,
          );
          break;
        case "prepull":
          add(step, f.prepull, `starts the pulls in the background; ${vmSuite("prepull")}`, cloud ? "install" : undefined);
          steps.push({
            step: "pull",
            startMinute: round2(t),
            minutes: round2(pullMinutes),
            background: true,
            note: `${imagesGb(spec)} GB of images at ${f.pullMegabytesPerSecond} MB/s`,
            ...(cloud ? { image: "install" } : {}),
          });
          pullEnds = t + pullMinutes;
          break;
        case "driver": {
          const reboot = ["bootstrap-ubuntu-drivers", "bootstrap-r580", "azure-grid"].includes(spec.driverInstall);
          add(step, (f.driver[spec.driverInstall] ?? 0) + (reboot ? f.reboot : 0), `${spec.driverInstall}${reboot ? ", and one reboot" : ""}`, stepImage);
          break;
        }
        case "toolkit":
          add(
            step,
            imageHasDocker || !cloud ? f.toolkitPresent : f.toolkitInstall,
            imageHasDocker || !cloud ? "toolkit present; the GPU container check" : "NVIDIA Container Toolkit, and the GPU container check",
            stepImage,
          );
          break;
        case "rdp":
          add(step, f.rdp, "xrdp and Xfce");
          break;
        case "idle":
          add(step, f.idle, "the idle check's timer");
          break;
        case "ready": {
          // An ACR cache: ready waits for the cached images, which pull side by side with the
          // others and share the bandwidth: the whole pull's end, the later bound.
          const holds = spec.pullCache && targetRules(spec.target).pullCacheHoldsReady?.(spec) === true && pullEnds > t;
          if (holds) t = pullEnds;
          add(step, f.ready, `the ready marker${holds ? ", after the cached images' pull" : ""}; ${vmSuite("ready")}`);
          break;
        }
      }
    }
  }
  const headReady = t;
  const lake = sparkLakeJars(spec);
  if (spec.cluster) {
    // The head's Spark node (the apps start after it: the driver mounts its files).
    add("spark", lake.megabytes / f.jarMegabytesPerSecond / 60, `the cluster's files and ${lake.words} from Maven Central at ${f.jarMegabytesPerSecond} MB/s`);
  }
  // The apps need their images: they wait for the background pull when it is still running.
  t = Math.max(t, pullEnds);
  const firstRead = spec.image === "baked" && spec.apps.length > 0 ? (figures.bakedFirstReadMinutes ?? 0) : 0;
  if (spec.apps.length > 0) {
    const started = `${spec.apps.length} container(s) started${spec.cluster ? ", and the Spark master" : ""}`;
    add(
      "apps",
      f.apps + firstRead,
      firstRead > 0
        ? `${started}; their image files read for the first time from the image's snapshot (${spec.target} restores the disk lazily: +${firstRead} min)`
        : started,
    );
  }
  const workers = spec.cluster ? workersTimeToReady(spec, headReady, lake) : undefined;
  return {
    imageMode: imageMode(spec),
    steps,
    ...(workers ? { workers } : {}),
    totalMinutes: Math.ceil(Math.max(t, workers?.readyMinute ?? 0)),
    assumptions: [
      `image pulls at ${f.pullMegabytesPerSecond} MB/s of unpacked image (the catalog's sizes)${cloud ? `; provision ${figures.provisionMinutes} min on ${spec.target}` : ""}`,
      // The driver figures only where a driver is installed (not on local, ssh or a CPU size).
      ...(steps.some((s) => s.step === "driver" && s.image !== "baked")
        ? [
            `driver installs: Azure's extension ${f.driver["azure-extension"]} min, ubuntu-drivers or R580 ${f.driver["bootstrap-ubuntu-drivers"]} min, GRID ${f.driver["azure-grid"]} min, each bootstrap install plus a ${f.reboot} min reboot`,
          ]
        : []),
      ...(spec.cluster
        ? [
            `Spark: ${f.jarMegabytesPerSecond} MB/s from Maven Central for the connector jars, ${f.sparkStart} min for a Spark daemon's container to start and join; the workers pull the ${appCatalog["jupyter-pyspark"].approxImageGb} GB image at ${f.pullMegabytesPerSecond} MB/s once their Spark setup is done`,
          ]
        : []),
      "users, docker (present), prepull and ready: the VM suite's measured times (QEMU, TCG); the rest are planning figures: no cloud or registry is reachable where this is developed",
    ],
  };
}

/** The connector jars a cluster's nodes download: its lake's (s3a for S3, abfss for ADLS Gen2) and RAPIDS when asked for. */
function sparkLakeJars(spec: WorkbenchSpec): { megabytes: number; words: string } {
  const kinds = new Set(spec.storage.map((s) => s.kind));
  const lake = kinds.has("s3") ? SPARK_CONNECTOR_JARS.s3a : kinds.has("adls2") ? SPARK_CONNECTOR_JARS.abfss : [];
  const jars = [...lake, ...(spec.cluster?.rapids ? SPARK_CONNECTOR_JARS.rapids : [])];
  const megabytes = Math.round(jars.reduce((n, j) => n + j.bytes, 0) / 1e6);
  return { megabytes, words: jars.length === 0 ? "no connector jar" : `${jars.length} connector jar(s), ${megabytes} MB` };
}

/**
 * One worker's lane: its VM and bootstrap (the worker's spec: its own size and image mode, no data
 * disk, no apps), from `pulumi up` like the head's; then, once the head is ready too (the worker
 * joins its master), its Spark node: the files and jars, the image pull (a worker pre-pulls
 * nothing: it has no apps) and the worker's container.
 */
function workersTimeToReady(spec: WorkbenchSpec, headReady: number, lake: { megabytes: number; words: string }): WorkersTimeToReady {
  const f = READY_FIGURES;
  const own = timeToReady(workerSpec(spec));
  const steps = [...own.steps];
  const last = steps[steps.length - 1];
  let t = Math.max(last.startMinute + last.minutes, headReady);
  const add = (step: string, minutes: number, note: string, image?: string) => {
    steps.push({ step, startMinute: round2(t), minutes: round2(minutes), background: false, note, ...(image ? { image } : {}) });
    t += minutes;
  };
  add("spark", lake.megabytes / f.jarMegabytesPerSecond / 60, `after the head's ready: the worker's files and ${lake.words}`);
  const gb = appCatalog["jupyter-pyspark"].approxImageGb;
  add("pull", (gb * 1024) / f.pullMegabytesPerSecond / 60, `the Spark image, ${gb} GB at ${f.pullMegabytesPerSecond} MB/s`, "install");
  add("worker", f.sparkStart, "the Spark worker's container started and joined the master");
  return { count: spec.cluster!.workers, size: spec.cluster!.size, imageMode: own.imageMode, steps, readyMinute: round2(t) };
}

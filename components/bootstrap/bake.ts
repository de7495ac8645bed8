/**
 * A baked team image, the pure part: what the build machine runs (the workbench's own bootstrap
 * for a one-user, no-storage copy of the spec on the GPU-ready image), what makes the image new
 * (its content hash), and the command that clears the machine and stops it before the capture.
 * The cloud's image engine (targets/<name>/bake.ts) makes the resources.
 */
import * as crypto from "crypto";
import { deployerUser, WorkbenchSpec } from "../config/spec";
import { checked } from "../config/checked";
import { HELD_BY_BAKED_IMAGE, scriptText } from "./scripts";

/** How long the build may take: the GPU check and the apps' pulls (the clean waits for them). */
export const BAKE_READY_TIMEOUT_SECONDS = 2700;
/** The clean's own limit: it waits for the pulls (GW_BAKE_PULL_WAIT, 30 min), then zeroes the free space. */
export const BAKE_CLEAN_TIMEOUT = "45m";
/** Dial errors (or proxied attempts) the clean allows: the build machine answered the ready check just before. */
export const BAKE_CLEAN_DIALS = 20;

/**
 * The spec the build machine boots with: the deployer alone (the ready check and the clean log in
 * as them), no storage, no RDP, no idle stop, no schedule, no data disk; the GPU-ready image for a
 * GPU size, so the build verifies the driver, Docker and the toolkit and pulls the apps' images.
 */
export function bakeBuildSpec(spec: WorkbenchSpec): WorkbenchSpec {
  const deployer = deployerUser(spec);
  return {
    ...spec,
    image: spec.gpu ? "gpu-ready" : "stock",
    driverInstall: spec.gpu ? "preinstalled" : "none",
    users: [deployer],
    storage: [],
    rdp: false,
    idleStop: undefined,
    autoShutdown: undefined,
    spot: false,
    dataDiskGb: 0,
    warnings: [],
    tags: { ...spec.tags, "gpu-workbench-role": checked("line", "bake") },
  };
}

/** The distinct app images the baked image holds, sorted. */
export function bakedImages(spec: WorkbenchSpec): string[] {
  return [...new Set(spec.apps.map((a) => a.image as string))].sort();
}

/**
 * What the image holds, hashed: the base image, the scripts of the steps it holds (and the run and
 * helpers they need), the clean, and the apps' images. Users, storage, keys and the rest of the
 * config are per machine and stay out: a new team member makes no new image.
 */
export function bakeContentHash(spec: WorkbenchSpec, baseImage: string): string {
  const h = crypto.createHash("sha256");
  const part = (label: string, text: string) => h.update(`${label}\0${text.length}\0${text}\0`);
  part("base", baseImage);
  part("gpu", spec.gpu ? "1" : "0");
  for (const name of ["lib.sh", "run.sh", ...HELD_BY_BAKED_IMAGE.map((s) => `${s}.sh`), "bake-clean.sh", "bake-stop.sh"]) part(name, scriptText(name));
  for (const image of bakedImages(spec)) part("image", image);
  return h.digest("hex").slice(0, 12);
}

/**
 * The command the deployer runs on the ready build machine: bake-clean.sh as root (it waits for the
 * pulls, then clears every per-machine thing, the deployer's own account included; the running
 * session outlives it), then bake-stop.sh: one sudo for both, since the clean removes the
 * deployer's sudo rights. The scripts travel as arguments (far under Linux's 128 KiB per argument).
 */
export function bakeCommand(target: string, sessionAgent = false): string {
  const vars = { GW_BAKE_CLEAN: scriptText("bake-clean.sh"), GW_BAKE_STOP: scriptText("bake-stop.sh") };
  const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  // sessionAgent: the session rides the machine's Session Manager agent (access: private on AWS): the clean must not stop it.
  const clean = sessionAgent ? 'GW_BAKE_SESSION_AGENT=1 bash -c "$1" bake-clean' : 'bash -c "$1" bake-clean';
  return [
    "#!/bin/sh",
    "set -eu",
    ...Object.entries(vars).map(([k, v]) => `${k}=${quote(v)}`),
    `sudo -n bash -c '${clean} && GW_TARGET="$3" bash -c "$2" bake-stop' bake "$GW_BAKE_CLEAN" "$GW_BAKE_STOP" ${quote(target)}`,
    "",
  ].join("\n");
}

/** Turns a mock run into the plan: redacted inputs, outputs, user-data sizes, and text. */
import * as crypto from "crypto";
import * as zlib from "zlib";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { redactUserData } from "../../components/bootstrap";
import { cloudConfigOf } from "../../components/targets/softlayer/userdata";
import type { TimeToReady } from "../../components/bootstrap/timeToReady";
import type { CostEstimate } from "../../components/config/estimate";
import { ASSUMED_START, WEEKDAYS_PER_MONTH } from "../../components/config/estimate";
import { findTargetRules } from "../../components/config/targetRules";
import type { MonthEstimate, WorkbenchEstimate } from "../../components/config/usage";
import { Registration, SECRET_SIG, SECRET_SIG_KEY } from "./mocks";
import { STORAGE_BLOB_DATA_CONTRIBUTOR, STORAGE_BLOB_DATA_READER } from "../../components/storage/mounts";
import { ACR_PULL_ROLE, KEY_VAULT_SECRETS_USER_ROLE } from "../../components/targets/azure/pullCache";

export interface PlanResource {
  type: string;
  name: string;
  parent: string | undefined;
  inputs: Record<string, unknown>;
}

export interface PlanUserData {
  resource: string;
  bytes: number;
  gzipBytes: number;
  cloudConfig: string;
}

export interface Plan {
  stack: string;
  target: string;
  resources: PlanResource[];
  outputs: Record<string, unknown>;
  userData: PlanUserData[];
}

const SECRET = "[secret]";
/** What the plan prints instead of a secret value. */
export const SECRET_TEXT = SECRET;

function isSecretWire(v: unknown): v is { value: unknown } {
  return !!v && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** Replaces every secret value with "[secret]". */
export function redact(v: unknown): unknown {
  if (isSecretWire(v)) return SECRET;
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x)]));
  return v;
}

/**
 * A registration's inputs as the plan prints them: secrets redacted, and a dynamic provider's
 * serialized code (`__provider`, tens of KB of JavaScript Pulumi stores with the resource) shown
 * by its size and hash instead of in full.
 */
export function planInputs(inputs: Record<string, unknown>): Record<string, unknown> {
  const out = redact(inputs) as Record<string, unknown>;
  const code = inputs.__provider;
  if (typeof code === "string") {
    out.__provider = `[dynamic provider: ${Buffer.byteLength(code, "utf8")} bytes of serialized code, sha256 ${crypto.createHash("sha256").update(code).digest("hex").slice(0, 16)}]`;
  }
  return out;
}

const USER_DATA_KEYS = ["customData", "userData", "userDataBase64"];

/** Finds user data in a registration's inputs (any depth), decoded from base64 and gzip. */
export function userDataOf(r: Registration): PlanUserData | undefined {
  let found: string | undefined;
  const walk = (v: unknown, key?: string): void => {
    if (found !== undefined) return;
    if (isSecretWire(v)) return walk(v.value, key);
    if (key && USER_DATA_KEYS.includes(key) && typeof v === "string") {
      found = v;
      return;
    }
    if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(r.inputs);
  if (found === undefined) return undefined;
  let text: string;
  if (found.startsWith("Content-Type: multipart/mixed")) {
    // SoftLayer's: a one-part MIME message carrying the gzipped document (hosts/softlayer/userdata.ts).
    text = cloudConfigOf(found);
  } else {
    let raw = Buffer.from(found, "utf8");
    if (/^[A-Za-z0-9+/=\s]+$/.test(found)) raw = Buffer.from(found, "base64");
    text = raw[0] === 0x1f && raw[1] === 0x8b ? zlib.gunzipSync(raw).toString("utf8") : raw.toString("utf8");
  }
  return {
    resource: r.name,
    bytes: Buffer.byteLength(text),
    gzipBytes: zlib.gzipSync(text, { level: 9 }).length,
    cloudConfig: redactUserData(text),
  };
}

/** What the plan shows for an output known only once deployed. */
export const UNKNOWN = "[unknown until deployed]";

/** Resolves the program's exports; secret outputs become "[secret]", unknown ones UNKNOWN. */
export async function resolveOutputs(exports: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(exports)) {
    if (pulumi.Output.isInstance(v)) {
      // An output the preview cannot know yet would never call back: say so instead of waiting.
      if (!(await (v as unknown as { isKnown: Promise<boolean> }).isKnown)) {
        out[k] = UNKNOWN;
        continue;
      }
      const secret = await pulumi.isSecret(v);
      const value = await new Promise((resolve) =>
        v.apply((x) => {
          resolve(x);
          return x;
        }),
      );
      out[k] = secret ? SECRET : value;
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** " (EC2's user-data limit: 16384 bytes, sent gzipped)", from the target's record; "" where none. */
function userDataLimitNote(target: string): string {
  const limit = findTargetRules(target)?.userDataLimit;
  if (!limit) return "";
  const how = { gzip: "sent gzipped", "raw-or-gzip": "gzipped only when needed", "mime-gzip-base64": "sent gzipped, in base64, in a MIME message" }[
    limit.encoding
  ];
  return ` (${limit.name}: ${limit.maxBytes} bytes, ${how})`;
}

/** The human plan: a resource tree, outputs, user-data sizes and the estimate. */
export function renderText(plan: Plan): string {
  const lines: string[] = [`Plan for stack ${plan.stack} (target ${plan.target}): ${plan.resources.length} resources`, ""];
  const children = new Map<string | undefined, PlanResource[]>();
  for (const r of plan.resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const walk = (parent: string | undefined, prefix: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((r, i) => {
      const last = i === list.length - 1;
      lines.push(`${prefix}${last ? "└─ " : "├─ "}${r.type}  ${r.name}${summary(r)}`);
      walk(r.name, prefix + (last ? "   " : "│  "));
    });
  };
  walk(undefined, "");
  lines.push("", "Outputs:");
  for (const [k, v] of Object.entries(plan.outputs)) {
    if (k === "estimate" || k === "timeToReady" || v === undefined) continue;
    lines.push(...outputLines(k, v, "  "));
  }
  for (const u of plan.userData) {
    lines.push("", ...wrap(`User data of ${u.resource}: ${u.bytes} bytes, ${u.gzipBytes} bytes gzipped${userDataLimitNote(plan.target)}`, "  "));
  }
  const est = plan.outputs.estimate as WorkbenchEstimate | undefined;
  // A hint the config would refuse is no hint: say instead that the target has no daily stop.
  if (est && typeof est === "object") lines.push("", ...estimateLines(est, findTargetRules(plan.target)?.refuses?.autoShutdown));
  if (est && typeof est === "object" && est.month) lines.push("", ...monthLines(est.month));
  const ready = plan.outputs.timeToReady as TimeToReady | undefined;
  if (ready && typeof ready === "object") lines.push("", ...readyLines(ready));
  return lines.join("\n") + "\n";
}

const usd = (n: number) => `$${n.toFixed(2)}`;
/** Four decimals, a trailing zero dropped: $0.526/h, $0.1845/h. */
const hourly = (n: number) => `$${n.toFixed(4).replace(/0$/, "")}/h`;
const range = (low: number, high: number, f: (n: number) => string) => (low === high ? f(low) : `${f(low).replace("/h", "")}-${f(high)}`);

/** The estimate as the plan prints it: every month says what it assumes; a missing price says why. */
export function estimateLines(est: CostEstimate, noAutoShutdown?: string): string[] {
  const lines = [`Estimate for ${est.size} in ${est.region}:`];
  if (est.priced && est.pricePerHour !== undefined) {
    lines.push(`  on demand: ${hourly(est.pricePerHour)}; always on (730 h): ${usd(est.monthlyAlwaysOn!)}/month`);
    if (est.scheduledHoursPerMonth !== undefined) {
      lines.push(
        `  scheduled (autoShutdown; started at ${ASSUMED_START} on ${WEEKDAYS_PER_MONTH} weekdays): ${est.scheduledHoursPerMonth} h, ${usd(est.monthlyScheduled!)}/month`,
      );
    } else {
      lines.push(
        ...wrap(
          noAutoShutdown === undefined
            ? "  no autoShutdown: the VM bills until someone stops it (set workbench.autoShutdown to cap it)"
            : `  no autoShutdown on this target (${noAutoShutdown.split(";")[0]}): the VM bills until pulumi destroy removes it`,
          "    ",
        ),
      );
    }
    if (est.spotPricePerHourLow !== undefined && est.spotPricePerHourHigh !== undefined) {
      const by = est.spotPricePerHourLow === est.spotPricePerHourHigh ? "" : " (by availability zone)";
      const month =
        est.monthlySpotLow !== undefined && est.monthlySpotHigh !== undefined
          ? `; ${est.scheduledHoursPerMonth !== undefined ? "scheduled" : "always-on"} spot month: ${range(est.monthlySpotLow, est.monthlySpotHigh, usd)}`
          : "";
      lines.push(`  spot: ${range(est.spotPricePerHourLow, est.spotPricePerHourHigh, hourly)}${by}${month}`);
    }
  }
  lines.push(`  ${est.note}`);
  const verified = est.priceVerified ? "read from the cloud's price list" : "unverified";
  lines.push(...wrap(`  Prices of ${est.priceDate} (${verified}): ${est.priceSource}.`, "    "));
  if (est.spotPricePerHourLow !== undefined) lines.push(...wrap(`  Spot prices: ${est.spotPriceSource}.`, "    "));
  if (est.cheapestRegions.length > 0) {
    const basis = `${est.comparedPrice === "spot" ? "lowest spot price" : "on demand"}, ${est.scheduledHoursPerMonth !== undefined ? "scheduled" : "always-on"} month`;
    lines.push(`  Cheapest other priced regions for ${est.size} (${basis}):`);
    for (const o of est.cheapestRegions) {
      const saving =
        o.savingPerMonth === undefined
          ? ""
          : o.savingPerMonth > 0
            ? `, saves ${usd(o.savingPerMonth)}/month`
            : o.savingPerMonth < 0
              ? `, costs ${usd(-o.savingPerMonth)}/month more`
              : ", same price";
      lines.push(`    ${o.region}: ${hourly(o.pricePerHour)}, ${usd(o.monthly)}/month${saving}`);
    }
  }
  return lines;
}

/** A string map prints one entry a line (multi-line values as indented blocks); the rest as JSON. */
function outputLines(key: string, v: unknown, pad: string): string[] {
  if (typeof v === "string") return v.includes("\n") ? [`${pad}${key}:`, indent(v.trimEnd(), pad + "  ")] : [`${pad}${key}: ${v}`];
  if (v && typeof v === "object" && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string")) {
    const entries = Object.entries(v as Record<string, string>);
    if (entries.length === 0) return [`${pad}${key}: {}`];
    return [`${pad}${key}:`, ...entries.flatMap(([k, x]) => outputLines(k, x, pad + "  "))];
  }
  // Anything nested reads as YAML, strings with line breaks as blocks, instead of one escaped JSON line.
  if (v && typeof v === "object") return [`${pad}${key}:`, indent(YAML.stringify(v, { lineWidth: 0 }).trimEnd(), pad + "  ")];
  return [`${pad}${key}: ${JSON.stringify(v)}`];
}

/** Wraps a long line at spaces to WRAP_WIDTH columns; the continuation lines get `pad`. */
const WRAP_WIDTH = 110;
export function wrap(line: string, pad: string): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > WRAP_WIDTH) {
    const cut = rest.lastIndexOf(" ", WRAP_WIDTH);
    if (cut <= pad.length) break;
    out.push(rest.slice(0, cut));
    rest = pad + rest.slice(cut + 1);
  }
  out.push(rest);
  return out;
}

function indent(text: string, pad: string): string {
  return text
    .split("\n")
    .map((l) => pad + l)
    .join("\n");
}

/** A few telling inputs next to a resource, so the tree reads on its own. */
const SUMMARY_PATHS = [
  "loginServer",
  "hardwareProfile.vmSize",
  "instanceType",
  "size",
  "sizeGb",
  "diskSizeGB",
  "name",
  "location",
  "availabilityZone",
  "image",
  "algorithm",
  "storageProfile.osDisk.diskSizeGB",
  "priority",
  "instanceMarketOptions.marketType",
];

function summary(r: PlanResource): string {
  const parts: string[] = [];
  for (const p of SUMMARY_PATHS) {
    const v = p.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), r.inputs);
    if (v !== undefined && typeof v !== "object") parts.push(`${p.split(".").pop()}=${String(v)}`);
  }
  parts.push(...grantSummary(r));
  return parts.length ? `  (${parts.join(", ")})` : "";
}

const BLOB_DATA_ROLES: Record<string, string> = {
  [STORAGE_BLOB_DATA_CONTRIBUTOR]: "Storage Blob Data Contributor",
  [STORAGE_BLOB_DATA_READER]: "Storage Blob Data Reader",
  [ACR_PULL_ROLE]: "AcrPull",
  [KEY_VAULT_SECRETS_USER_ROLE]: "Key Vault Secrets User",
};

/** What a storage grant allows, on what: the plan shows every grant the machine's identity gets. */
function grantSummary(r: PlanResource): string[] {
  if (r.type === "azure-native:authorization:RoleAssignment" && typeof r.inputs.roleDefinitionId === "string") {
    const id = r.inputs.roleDefinitionId.split("/").pop() ?? "";
    return [`role=${BLOB_DATA_ROLES[id] ?? id}`, `scope=${String(r.inputs.scope)}`];
  }
  if (r.type === "aws:iam/rolePolicy:RolePolicy" && typeof r.inputs.policy === "string") {
    const doc = JSON.parse(r.inputs.policy) as { Statement?: { Action?: string | string[]; Resource?: string | string[] }[] };
    const list = (v: string | string[] | undefined) => [v ?? []].flat().join(" ");
    return (doc.Statement ?? []).map((st) => `${list(st.Action)} on ${list(st.Resource)}`);
  }
  return [];
}

/** The reference team's month under the stack's stop settings (the estimate output's `month`). */
export function monthLines(month: MonthEstimate): string[] {
  const lines = ["Month for the reference team (USD; disks and the IP bill while the machine is stopped):"];
  const width = Math.max(...month.scenarios.map((s) => s.name.length));
  for (const s of month.scenarios) {
    lines.push(
      `  ${s.name.padEnd(width)}  ${s.hours.toFixed(1).padStart(5)} h  $${s.compute.toFixed(2).padStart(8)} + $${s.fixed.toFixed(2)} = $${s.total.toFixed(2).padStart(8)}  ${s.percentOfAlwaysOn.toFixed(1).padStart(5)}%${s.chosen ? "  <- your settings" : ""}`,
    );
  }
  lines.push(...wrap(`  billed while stopped: ${month.fixedCosts.map((c) => `${c.label} $${c.monthly.toFixed(2)}`).join(", ")}`, "    "));
  for (const m of month.model) lines.push(...wrap(`  model: ${m}`, "    "));
  for (const n of month.notes) lines.push(...wrap(`  note: ${n}`, "    "));
  return lines;
}

/** The modeled time to ready (the timeToReady output), one line a step. */
export function readyLines(ready: TimeToReady): string[] {
  const w = ready.workers;
  const lines = [
    `Time to ready (modeled): about ${ready.totalMinutes} min${w ? ` (the head and its ${w.count} worker(s))` : ""}`,
    `  image: ${ready.imageMode}`,
  ];
  const stepLines = (steps: TimeToReady["steps"]) => {
    for (const s of steps) {
      const figures = `  ${s.step.padEnd(9)} ${s.startMinute.toFixed(1).padStart(5)} min  +${s.minutes.toFixed(2)} min${s.background ? " (background)" : ""}${s.image ? ` [${s.image}]` : ""}  `;
      // A long note continues under itself.
      lines.push(...wrap(figures + s.note, " ".repeat(figures.length)));
    }
  };
  stepLines(ready.steps);
  if (w) {
    lines.push(
      ...wrap(`  workers: ${w.count} x ${w.size}, each booting beside the head, all ready at ${w.readyMinute.toFixed(1)} min; image: ${w.imageMode}`, "    "),
    );
    stepLines(w.steps);
  }
  for (const a of ready.assumptions) lines.push(...wrap(`  figures: ${a}`, "    "));
  return lines;
}

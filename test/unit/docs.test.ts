/**
 * The README and docs/ as a reader meets them: every relative link and anchor resolves, the README
 * stays a short newcomer's path, and every figure the docs quote comes from the code (the plan's
 * own output, the app catalog, the price tables) instead of being copied by hand.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { appCatalog } from "../../components/config/appCatalog";
import { azurePrices } from "../../components/targets/azure/prices";
import { awsPrices } from "../../components/targets/aws/prices";
import { KEYS, keysOf } from "../../components/config/keys";
import { keyAnchor } from "../../components/config/jsonSchema";
import { LIMITS } from "../../components/config/defaults";
import { WIDEST_FOR_PASSWORDS } from "../../components/config/cidrs";
import * as YAML from "yaml";
import "../../components/targets";
import { parseWorkbenchConfig } from "../../components/config/parse";
import { DANIEL_KEY } from "../support/fixtures";

const ROOT = path.join(__dirname, "..", "..");
const DOCS = fs
  .readdirSync(path.join(ROOT, "docs"))
  .filter((f) => f.endsWith(".md"))
  .map((f) => `docs/${f}`);
const PAGES = ["README.md", ...DOCS];
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

/** Markdown outside fenced code blocks (a `# comment` in a shell block is no heading). */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```$/gm, "");
}

/** GitHub's heading anchors: lower case, punctuation dropped except `-` and `_`, spaces to `-`. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, "")
    .replace(/ /g, "-");
}

/** A page's headings' anchors, and its `<a id="...">` anchors (the config reference's keys). */
function anchors(file: string): Set<string> {
  const text = prose(read(file));
  return new Set([...[...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])), ...[...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1])]);
}

function relativeLinks(text: string): string[] {
  return [...prose(text).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
}

test("the slug rule matches GitHub's for the headings we link to", () => {
  expect(slug("Upgrading from 0.1")).toBe("upgrading-from-01");
  expect(slug("VS Code: Remote-SSH and Dev Containers")).toBe("vs-code-remote-ssh-and-dev-containers");
  expect(slug("IBM Cloud classic (SoftLayer)")).toBe("ibm-cloud-classic-softlayer");
});

test("the README is at most 12 KB and its test commands are the ones .ci/run runs", () => {
  const readme = read("README.md");
  expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(12288);
  expect(readme).toContain("npm ci && npm run plan -- --stack azure-t4\nnpm test\n");
  expect(readme).toContain("`npm test`, then `npm run test:vm`");
  const ci = read(".ci/run");
  expect(ci).toMatch(/npm test/);
  expect(ci).toMatch(/npm run test:vm/);
});

test("the README links every page in docs/", () => {
  const linked = new Set(relativeLinks(read("README.md")).map((l) => l.split("#")[0]));
  expect(DOCS.filter((d) => !linked.has(d))).toEqual([]);
});

/** The links in `text` (a page at `file`) that do not resolve, with why. */
function brokenLinks(file: string, text: string): string[] {
  const broken: string[] = [];
  for (const link of relativeLinks(text)) {
    const [target, anchor] = link.split("#");
    const resolved = target === "" ? file : path.normalize(path.join(path.dirname(file), target));
    if (!fs.existsSync(path.join(ROOT, resolved))) broken.push(`${link}: no file ${resolved}`);
    else if (anchor !== undefined && !anchors(resolved).has(anchor)) broken.push(`${link}: no heading #${anchor} in ${resolved}`);
  }
  return broken;
}

test.each(PAGES)("%s: every relative link resolves to a file, and every #anchor to a heading in it", (file) => {
  expect(brokenLinks(file, read(file))).toEqual([]);
});

test("the link check catches a missing file and a missing heading", () => {
  const text = "[a](docs/nope.md) [b](docs/architecture.md#nope) [c](docs/architecture.md#upgrading-from-01) [d](https://example.com/x.md)";
  expect(brokenLinks("README.md", text)).toEqual(["docs/nope.md: no file docs/nope.md", "docs/architecture.md#nope: no heading #nope in docs/architecture.md"]);
  expect(brokenLinks("docs/targets.md", "[x](#azure) [y](#azur)")).toEqual(["#azur: no heading #azur in docs/targets.md"]);
});

/** `<!-- plan: <stack> -->` followed by a fenced block: the block is a run of the plan's lines. */
const planBlocks = DOCS.flatMap((file) =>
  [...read(file).matchAll(/<!-- plan: ([\w-]+) -->\n```\n([\s\S]*?)\n```/g)].map((m) => ({ file, stack: m[1], lines: m[2].split("\n") })),
);

test("the docs quote the plan in these blocks", () => {
  expect(planBlocks.map((b) => `${b.file} ${b.stack}`)).toEqual([
    "docs/fast-to-ready.md azure-baked",
    "docs/fast-to-ready.md aws-baked",
    "docs/idle-stop-and-cost.md azure-t4",
    "docs/idle-stop-and-cost.md azure-t4",
    "docs/idle-stop-and-cost.md aws-g4dn",
  ]);
});

describe("figures quoted from the plan are what the plan prints", () => {
  const outputs = new Map<string, string[]>();
  beforeAll(() => {
    for (const stack of new Set(planBlocks.map((b) => b.stack))) {
      const r = spawnSync(process.execPath, ["--require", "@swc-node/register", "scripts/plan.ts", "--stack", stack], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 90_000,
      });
      expect([stack, r.status]).toEqual([stack, 0]);
      outputs.set(stack, r.stdout.split("\n"));
    }
  }, 180_000);

  test.each(planBlocks.map((b, i) => [i, b.file, b.stack] as const))("block %i in %s (%s)", (i) => {
    const block = planBlocks[i];
    const out = outputs.get(block.stack)!;
    // The block's lines appear in the plan in the same order (lines may be left out, none changed).
    let at = out.indexOf(block.lines[0]);
    const missing: string[] = [];
    if (at < 0) missing.push(block.lines[0]);
    for (const line of block.lines.slice(1)) {
      const next = out.indexOf(line, at + 1);
      if (next < 0) missing.push(line);
      else at = next;
    }
    expect(missing).toEqual([]);
  });
});

test("the apps table's image sizes are the catalog's approxImageGb", () => {
  const rows = [...read("docs/apps.md").matchAll(/^\| `([a-z-]+)`(?: \/ `([a-z-]+)`)? \|.*\| (~[\d /~]+ GB|yours) \|$/gm)];
  const quoted: Record<string, number> = {};
  for (const [, a, b, size] of rows) {
    if (size === "yours") continue;
    const gbs = size.match(/\d+/g)!.map(Number);
    quoted[a] = gbs[0];
    if (b) quoted[b] = gbs[1];
  }
  const catalog = Object.fromEntries(
    Object.entries(appCatalog)
      .filter(([kind]) => kind !== "custom")
      .map(([kind, e]) => [kind, e.approxImageGb]),
  );
  expect(quoted).toEqual(catalog);
});

test("the region counts quoted for the price tables are the tables'", () => {
  const text = read("docs/idle-stop-and-cost.md");
  expect(text).toContain(`**Azure**, ${azurePrices.regions.length} regions`);
  expect(text).toContain(`**AWS**, ${awsPrices.regions.length} regions`);
  expect(text).toContain(`\`${azurePrices.source.match(/at commit (\w+)/)![1]}\``);
});

describe("docs/config.md is the guide; each key's facts are the reference's (docs/config-reference.md)", () => {
  const guide = read("docs/config.md");

  test("it links every top-level key to its row in the reference", () => {
    const missing = keysOf("").filter((k) => !guide.includes(`](config-reference.md#${keyAnchor(k)})`));
    expect(missing).toEqual([]);
    expect(read("docs/config-reference.md")).toContain('<a id="users.sshPublicKey"></a>');
  });

  test("its 'Start from an example' table names every example stack in stacks/, and only those", () => {
    const section = guide.slice(guide.indexOf("## Start from an example"), guide.indexOf("## Decide in this order"));
    const named = [...section.matchAll(/`stacks\/Pulumi\.([a-z0-9-]+)\.yaml`/g)].map((m) => m[1]).sort();
    const stacks = fs
      .readdirSync(path.join(ROOT, "stacks"))
      .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
      .map((f) => f.slice(7, -5))
      .sort();
    expect(named).toEqual(stacks);
  });

  /** Every default and bound a declaration owns that has a digit in it ("128", "60m", "ubuntu-22.04", "g4dn.xlarge"). */
  const owned = new Map<string, string>();
  for (const k of KEYS) {
    for (const v of [k.default, k.min, k.max]) {
      if (v === undefined) continue;
      // A lone digit ("exit 2", "2 users") says nothing about a key: only figures with more to them.
      for (const token of String(v).split(/ \/ |\s+/))
        if (/\d/.test(token) && !/^\d$/.test(token)) owned.set(token, `${k.path}'s ${v === k.default ? "default" : "bound"}`);
    }
  }

  /** The figures of `text` outside code blocks that a declaration owns, with the key they belong to. */
  function quotedOwned(text: string): string[] {
    const tokens = prose(text).match(/[A-Za-z0-9_./:-]*\d[A-Za-z0-9_./:-]*/g) ?? [];
    return tokens
      .map((t) => t.replace(/[.:]+$/, ""))
      .filter((t) => owned.has(t))
      .map((t) => `${t} (${owned.get(t)})`);
  }

  test("its prose quotes no default or bound the reference owns", () => {
    expect(owned.get("128")).toBe("osDiskGb's default");
    expect(owned.get("g4dn.xlarge")).toBe("size's default");
    expect(quotedOwned(guide)).toEqual([]);
    // The check sees a default quoted in prose or inline code.
    expect(quotedOwned("`osDiskGb` defaults to `128`; `idleStop.after` to 60m.\n```\nosDiskGb: 128\n```\n")).toEqual([
      "128 (osDiskGb's default)",
      "60m (idleStop.after's default)",
    ]);
  });

  test("its complete example is a config the program accepts (with a real key for the placeholder)", () => {
    const example = YAML.parse(guide.match(/```yaml\n([\s\S]*?)```/)![1]) as { config: Record<string, unknown> };
    expect(Object.keys(example.config)).toEqual(["azure-native:location", "gpu-workbench:workbench"]);
    const workbench = example.config["gpu-workbench:workbench"] as { users: { sshPublicKey: string }[] };
    expect(workbench.users[0].sshPublicKey).toBe("ssh-ed25519 AAAA... daniel@laptop");
    workbench.users[0].sshPublicKey = DANIEL_KEY;
    const spec = parseWorkbenchConfig(workbench, { region: example.config["azure-native:location"] as string });
    expect([spec.target, spec.users.map((u) => u.name), spec.apps.map((a) => a.kind)]).toEqual(["azure", ["daniel"], ["jupyter-pytorch"]]);
  });

  test("the figures of its rules across keys are the code's", () => {
    expect(guide).toContain(`${LIMITS.pullFactor} x their unpacked size + ${LIMITS.osDiskHeadroomGb} GB`);
    expect(guide).toContain(`at most a /${WIDEST_FOR_PASSWORDS.v4Prefix} of IPv4\n  and a /${WIDEST_FOR_PASSWORDS.v6Prefix} of IPv6`);
    expect(guide).toContain(`(${LIMITS.reservedHostPorts.join(", ")}, RDP's)`);
  });
});

/**
 * The program's namespace as `pulumi up` hands it over (issue 18, classes 5 and 6): unknown
 * gpu-workbench:* keys and passwords, tokens or keys in plain config are refused by programArgs,
 * with the workbench map's own problems in the same message, before any resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockRecorder } from "../../scripts/lib/mocks";
import { rawConfig } from "../support/fixtures";

let recorder: MockRecorder;
let factory: typeof import("../../components/workbench");

beforeAll(async () => {
  recorder = await installMocks({ stack: "bad", preview: true });
  factory = await import("../../components/workbench");
});

/** The stack's config as the engine passes it: objects as JSON text, and which keys are secret. */
function setConfig(values: Record<string, unknown>, secretKeys: string[] = []) {
  const text = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  pulumi.runtime.setAllConfig({ "azure-native:location": "koreacentral", ...text }, secretKeys);
}

/** The program's front door and factory, as index.ts calls them: the error message, if any. */
function refusal(values: Record<string, unknown>, secretKeys: string[] = []): string | undefined {
  setConfig(values, secretKeys);
  try {
    factory.createWorkbench("bad", factory.programArgs());
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

const WB = "gpu-workbench:workbench";
const registry = (password: unknown) => ({ server: "ghcr.io", username: "acme", password });
const withRegistries = (...passwords: unknown[]) => rawConfig({ registries: passwords.map((p, i) => ({ ...registry(p), server: `r${i}.example.com` })) });
const fix = (path: string, what = "a password") =>
  `${path}: ${what} in plain config sits in clear text in Pulumi.<stack>.yaml; store it as a secret: pulumi config set --secret --path '${path}' <value>`;

describe("unknown keys in the gpu-workbench namespace (class 6)", () => {
  test.each([
    [
      "a typo",
      { "gpu-workbench:workbnch": rawConfig() },
      [
        'gpu-workbench:workbnch: unknown key; did you mean "workbench"?',
        "workbench: not set; add the gpu-workbench:workbench key to the stack config (see stacks/ for examples)",
      ],
    ],
    [
      "the wrong case",
      { "gpu-workbench:Workbench": rawConfig() },
      [
        'gpu-workbench:Workbench: unknown key; did you mean "workbench"?',
        "workbench: not set; add the gpu-workbench:workbench key to the stack config (see stacks/ for examples)",
      ],
    ],
    [
      "a stray key beside a valid workbench",
      { [WB]: rawConfig(), "gpu-workbench:region": "koreacentral" },
      ["gpu-workbench:region: unknown key; valid keys are workbench, sshPrivateKeyPath"],
    ],
    [
      "the key path's case",
      { [WB]: rawConfig(), "gpu-workbench:sshprivatekeypath": "~/.ssh/id_ed25519" },
      ['gpu-workbench:sshprivatekeypath: unknown key; did you mean "sshPrivateKeyPath"?'],
    ],
    [
      "a typo in the key path's name",
      { [WB]: rawConfig(), "gpu-workbench:sshPrivatKeyPth": "~/.ssh/id_ed25519" },
      ['gpu-workbench:sshPrivatKeyPth: unknown key; did you mean "sshPrivateKeyPath"?'],
    ],
    [
      "a key with a space, quoted",
      { [WB]: rawConfig(), "gpu-workbench:gpu count": "2" },
      ['gpu-workbench:"gpu count": unknown key; valid keys are workbench, sshPrivateKeyPath'],
    ],
    [
      "a stray key and a bad workbench, in one message",
      { [WB]: rawConfig({ users: [] }), "gpu-workbench:apps": "[]" },
      [
        "gpu-workbench:apps: unknown key; valid keys are workbench, sshPrivateKeyPath",
        "workbench.users: empty; list at least one user with name, sshPublicKey and admin: true",
      ],
    ],
    [
      "a key path with a newline",
      { [WB]: rawConfig(), "gpu-workbench:sshPrivateKeyPath": "~/.ssh/id\n-oProxyCommand=id" },
      ['gpu-workbench:sshPrivateKeyPath: "~/.ssh/id\\n-oProxyCommand=id" contains the control character U+000A; use printable characters only'],
    ],
    [
      "an empty key path",
      { [WB]: rawConfig(), "gpu-workbench:sshPrivateKeyPath": " " },
      ["gpu-workbench:sshPrivateKeyPath: empty; set the path of the first admin's private key, or remove it to use the ssh agent"],
    ],
  ])("%s: refused, nothing registered", (_why, values, problems) => {
    expect(refusal(values)).toBe(problems.join("\n"));
    expect(recorder.registrations).toEqual([]);
  });

  test("other namespaces are the providers' own and are left alone", () => {
    setConfig({ [WB]: rawConfig(), "aws:profile": "lab", "pulumi:tags": "{}" });
    expect(factory.programArgs().config).toEqual(rawConfig());
  });
});

describe("passwords, tokens and keys in plain config (class 5)", () => {
  test.each([
    ["a registry password", { [WB]: withRegistries("hunter2") }, [fix("workbench.registries[0].password")]],
    [
      "two registry passwords",
      { [WB]: withRegistries("hunter2", "correct-horse") },
      [fix("workbench.registries[0].password"), fix("workbench.registries[1].password")],
    ],
    [
      "a token in an app's env",
      { [WB]: rawConfig({ apps: [{ kind: "jupyter-pytorch", env: { HF_TOKEN: "hf_abc" } }] }) },
      [fix("workbench.apps[0].env.HF_TOKEN", "a credential")],
    ],
    [
      "an API key and a secret access key",
      { [WB]: rawConfig({ apps: [{ kind: "jupyter", env: { WANDB_API_KEY: "k1", AWS_SECRET_ACCESS_KEY: "k2", AWS_ACCESS_KEY_ID: "AKIA" } }] }) },
      [fix("workbench.apps[0].env.WANDB_API_KEY", "a credential"), fix("workbench.apps[0].env.AWS_SECRET_ACCESS_KEY", "a credential")],
    ],
    [
      "an S3 secret key on an ssh host (issue 22)",
      {
        [WB]: {
          target: "ssh",
          ssh: { host: "gpu1.example.com", hostPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2Xe7akWuUKbDefId+7J/KVvXm35t1buxhlGirgBNuI" },
          users: rawConfig().users,
          storage: [{ name: "lake", kind: "s3", bucket: "acme-lake", endpoint: "https://s3.lab.example.com", accessKeyId: "AKIA", secretAccessKey: "hunter2" }],
        },
      },
      [fix("workbench.storage[0].secretAccessKey", "a credential")],
    ],
    [
      "the SoftLayer API key in plain config (issue 22)",
      { [WB]: rawConfig(), "softlayer:apiKey": "correct-horse" },
      [
        "softlayer:apiKey: a credential in plain config sits in clear text in Pulumi.<stack>.yaml; store it as a secret: pulumi config set --secret softlayer:apiKey <value>",
      ],
    ],
    [
      "a plain password beside a workbench problem",
      { [WB]: { ...withRegistries("hunter2"), rdp: "yes" } },
      [fix("workbench.registries[0].password"), 'workbench.rdp: expected true or false, got "yes"'],
    ],
  ])("%s: refused with the command that makes it a secret, never the value", (_why, values, problems) => {
    const message = refusal(values);
    expect(message).toBe(problems.join("\n"));
    for (const secret of ["hunter2", "correct-horse", "hf_abc", "k1", "k2"]) expect(message).not.toContain(secret);
    expect(recorder.registrations).toEqual([]);
  });

  test("the same values from `pulumi config set --secret --path` (the map is then secret) are accepted", () => {
    setConfig({ [WB]: withRegistries("hunter2") }, [WB]);
    expect(factory.programArgs().config).toEqual(withRegistries("hunter2"));
    setConfig({ [WB]: rawConfig({ apps: [{ kind: "jupyter-pytorch", env: { HF_TOKEN: "hf_abc", AWS_ACCESS_KEY_ID: "AKIA" } }] }) }, [WB]);
    expect(factory.programArgs().sshPrivateKeyPath).toBeUndefined();
  });

  test("names that only look alike are not credentials", () => {
    setConfig({
      [WB]: rawConfig({ apps: [{ kind: "jupyter", env: { AWS_ACCESS_KEY_ID: "AKIA", TOKENIZERS_PARALLELISM: "false", KEYBOARD: "us" } }] }),
      "gpu-workbench:sshPrivateKeyPath": "~/.ssh/id_ed25519",
    });
    expect(factory.programArgs()).toEqual({
      config: rawConfig({ apps: [{ kind: "jupyter", env: { AWS_ACCESS_KEY_ID: "AKIA", TOKENIZERS_PARALLELISM: "false", KEYBOARD: "us" } }] }),
      sshPrivateKeyPath: "~/.ssh/id_ed25519",
    });
  });
});

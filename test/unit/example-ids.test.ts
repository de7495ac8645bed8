/**
 * Example account and subscription ids anywhere in the config (components/config/exampleIds.ts):
 * found with their key paths, worded for the plan and for a deployment, word for word.
 */
import { exampleIdProblem, exampleIds, exampleIdWarning } from "../../components/config/exampleIds";

const ARN = (account: string) => `arn:aws:secretsmanager:ap-northeast-2:${account}:secret:ecr-pullthroughcache/docker-hub-AbCdEf`;
const VAULT = (sub: string) => `/subscriptions/${sub}/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kv-acme-lab`;

test("AWS's documentation accounts in an ARN, at any depth, with the key path", () => {
  const found = exampleIds({
    aws: { pullCacheCredentials: { dockerHub: ARN("123456789012"), ghcr: ARN("111122223333") } },
    storage: [{ roleArn: "arn:aws:iam::444455556666:role/lake" }, { roleArn: "arn:aws-cn:iam::777788889999:role/lake" }],
  });
  expect(found.map((e) => [e.path, e.what])).toEqual([
    ["workbench.aws.pullCacheCredentials.dockerHub", "AWS account 123456789012, an example id from AWS's documentation"],
    ["workbench.aws.pullCacheCredentials.ghcr", "AWS account 111122223333, an example id from AWS's documentation"],
    ["workbench.storage[0].roleArn", "AWS account 444455556666, an example id from AWS's documentation"],
    ["workbench.storage[1].roleArn", "AWS account 777788889999, an example id from AWS's documentation"],
  ]);
});

test("a zero GUID as an ARM id's subscription, with or without the version and variant digits", () => {
  expect(
    exampleIds({ azure: { subnetId: VAULT("00000000-0000-0000-0000-000000000000") }, extra: { "odd key": VAULT("00000000-0000-4000-8000-000000000000") } }),
  ).toEqual([
    {
      path: "workbench.azure.subnetId",
      what: "subscription 00000000-0000-0000-0000-000000000000, a zero GUID no Azure subscription has",
      fix: "use your own subscription's id",
    },
    {
      path: 'workbench.extra["odd key"]',
      what: "subscription 00000000-0000-4000-8000-000000000000, a zero GUID no Azure subscription has",
      fix: "use your own subscription's id",
    },
  ]);
});

test("real-looking ids, other numbers and other strings are not examples", () => {
  expect(
    exampleIds({
      a: ARN("210987654321"),
      b: VAULT("3f2b8c1e-5d4a-4e7b-9c2d-8a1f6e0b4d77"),
      c: VAULT("00000000-0000-4000-8000-000000000001"),
      d: "123456789012",
      e: "/subscriptions/00000000-0000-0000-0000-0000000000001/x",
      f: [1, true, null, { g: "ssh-ed25519 AAAA daniel@laptop" }],
    }),
  ).toEqual([]);
});

test("one line per key, however often a string names the example", () => {
  expect(exampleIds({ k: `${ARN("123456789012")},${ARN("123456789012")}` }).map((e) => e.path)).toEqual(["workbench.k"]);
});

test("the plan's warning and a deployment's refusal, word for word", () => {
  const [e] = exampleIds({ aws: { pullCacheCredentials: { dockerHub: ARN("123456789012") } } });
  expect(exampleIdWarning(e)).toBe(
    "workbench.aws.pullCacheCredentials.dockerHub: names AWS account 123456789012, an example id from AWS's documentation; fine for a plan or preview, refused by pulumi up; use your own account's ARN",
  );
  expect(exampleIdProblem(e)).toBe(
    "workbench.aws.pullCacheCredentials.dockerHub: names AWS account 123456789012, an example id from AWS's documentation: pulumi up would create resources and then fail on it; use your own account's ARN",
  );
});

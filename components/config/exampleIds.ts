/**
 * Account and subscription ids that only documentation uses. An example stack names one where a
 * key takes a cloud object the team already has (a secret's ARN, a Key Vault's resource id): the
 * plan and a preview accept it with a warning, and a deployment refuses it before anything is
 * created, since the cloud would refuse it only after the resources before it were made. Found
 * in any string of the config, so a key added later is covered without naming it here.
 */
import { AZURE_GUID, keyPath } from "./grammar";

/** AWS's documentation accounts (its docs' ARNs use these; AWS assigns none of them). */
const AWS_EXAMPLE_ACCOUNTS = new Set(["123456789012", "111122223333", "444455556666", "777788889999"]);
/** An ARN's account field: arn:<partition>:<service>:<region>:<account>:... */
const ARN_ACCOUNT = /\barn:[a-z0-9-]+:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/g;
/** An ARM id's subscription: /subscriptions/<GUID>/... */
const ARM_SUBSCRIPTION = new RegExp(`/subscriptions/(${AZURE_GUID})(?![0-9a-fA-F])`, "g");
/** The zero GUID, also with only its version and variant digits set (00000000-0000-4000-8000-000000000000): no subscription has one. */
const ZERO_GUID = /^00000000-0000-[0-9a-f]000-[0-9a-f]000-000000000000$/i;

/** One example id found, where and what it is. */
export interface ExampleId {
  path: string;
  /** "AWS account 123456789012" or "subscription 00000000-…". */
  what: string;
  /** What to put instead. */
  fix: string;
}

/** Every example id in the config's strings, with its key path. */
export function exampleIds(raw: unknown, base = "workbench"): ExampleId[] {
  const out: ExampleId[] = [];
  const visit = (value: unknown, path: string): void => {
    if (typeof value === "string") {
      for (const m of value.matchAll(ARN_ACCOUNT)) {
        if (AWS_EXAMPLE_ACCOUNTS.has(m[1]))
          out.push({ path, what: `AWS account ${m[1]}, an example id from AWS's documentation`, fix: "use your own account's ARN" });
      }
      for (const m of value.matchAll(ARM_SUBSCRIPTION)) {
        if (ZERO_GUID.test(m[1]))
          out.push({ path, what: `subscription ${m[1]}, a zero GUID no Azure subscription has`, fix: "use your own subscription's id" });
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, `${path}[${i}]`));
    } else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) visit(v, keyPath(path, k));
    }
  };
  visit(raw, base);
  // One line per key: a string naming the same example twice says it once.
  return out.filter((e, i) => out.findIndex((o) => o.path === e.path && o.what === e.what) === i);
}

/** The plan's and a preview's warning. */
export function exampleIdWarning(e: ExampleId): string {
  return `${e.path}: names ${e.what}; fine for a plan or preview, refused by pulumi up; ${e.fix}`;
}

/** A deployment's refusal, before any resource is registered. */
export function exampleIdProblem(e: ExampleId): string {
  return `${e.path}: names ${e.what}: pulumi up would create resources and then fail on it; ${e.fix}`;
}

/**
 * The program's front door: for every bad config of the table, the workbench factory that
 * index.ts calls raises the parser's exact message and registers no resource at all.
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockRecorder } from "../../scripts/lib/mocks";
import { badConfigs, regionFor } from "../support/badConfigs";

let recorder: MockRecorder;
let factory: typeof import("../../components/workbench");

beforeAll(async () => {
  recorder = await installMocks({ stack: "bad", preview: true });
  factory = await import("../../components/workbench");
});

test.each(badConfigs.map((c) => [c.why, c] as const))("%s: no resource is registered", (_why, c) => {
  const region = regionFor(c);
  pulumi.runtime.setAllConfig({ "azure-native:location": region ?? "", "aws:region": region ?? "" });
  let error: Error | undefined;
  try {
    factory.createWorkbench("bad", { config: c.raw as never, region });
  } catch (e) {
    error = e as Error;
  }
  expect(error?.message).toBe(c.message);
  expect(recorder.registrations).toEqual([]);
});

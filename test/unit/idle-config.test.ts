/**
 * The idleStop key: defaults, durations and bounds, each bad value with its exact message naming
 * the key path; targets with nothing to stop are refused.
 */
import { formatDuration, parseDuration, parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import { rawConfig } from "../support/fixtures";
import { badIdleConfigs } from "../support/idleConfigs";

describe("bad idleStop configs", () => {
  test.each(badIdleConfigs)("%s", (_why, raw, message) => {
    let error: unknown;
    try {
      parseWorkbenchConfig(raw, { region: "koreacentral" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkbenchConfigError);
    expect((error as WorkbenchConfigError).problems).toEqual([message]);
  });
});

describe("a valid idleStop", () => {
  const spec = (v: unknown, target = "azure") =>
    parseWorkbenchConfig(rawConfig(target === "aws" ? { target: "aws", size: "g5.xlarge", idleStop: v } : { idleStop: v }), {
      region: target === "aws" ? "ap-northeast-2" : "koreacentral",
    });

  test("is off by default", () => {
    expect(parseWorkbenchConfig(rawConfig(), { region: "koreacentral" }).idleStop).toBeUndefined();
  });

  test("an empty map takes every default", () => {
    expect(spec({}).idleStop).toEqual({ afterSeconds: 3600, gpuBelowPercent: 5, warnSeconds: 300, preStopHook: undefined, hookTimeoutSeconds: 300 });
  });

  test("every key, on AWS too; the hook is trimmed", () => {
    expect(
      spec({ after: "1h30m", gpuBelowPercent: 10, warnMinutes: 15, preStopHook: "  rsync -a /data/apps/ /mnt/storage/apps/ ", hookTimeout: "90s" }, "aws")
        .idleStop,
    ).toEqual({
      afterSeconds: 5400,
      gpuBelowPercent: 10,
      warnSeconds: 900,
      preStopHook: "rsync -a /data/apps/ /mnt/storage/apps/",
      hookTimeoutSeconds: 90,
    });
  });

  test("the bounds themselves are accepted", () => {
    expect(spec({ after: "15m", warnMinutes: 14, gpuBelowPercent: 100 }).idleStop).toMatchObject({ afterSeconds: 900, warnSeconds: 840, gpuBelowPercent: 100 });
    expect(spec({ after: "24h", warnMinutes: 30, gpuBelowPercent: 1, preStopHook: "sync", hookTimeout: "30m" }).idleStop).toMatchObject({
      afterSeconds: 86400,
      hookTimeoutSeconds: 1800,
    });
  });
});

describe("durations", () => {
  test.each([
    ["90s", 90],
    ["15m", 900],
    ["2h", 7200],
    ["1h30m", 5400],
    ["1h0m30s", 3630],
    ["0m", 0],
  ])("%s is %d s", (text, seconds) => expect(parseDuration(text)).toBe(seconds));

  test.each(["", "60", "1d", "m", "1.5h", "30m1h", "-5m", " 5m", "5 m", "1H"])("%j is not a duration", (text) => expect(parseDuration(text)).toBeUndefined());

  test.each([
    [900, "15m"],
    [86400, "24h"],
    [5400, "1h30m"],
    [10, "10s"],
    [3630, "1h30s"],
    [0, "0s"],
  ])("%d s is written %s", (seconds, text) => expect(formatDuration(seconds)).toBe(text));
});

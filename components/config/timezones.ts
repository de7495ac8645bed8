/**
 * Time zones for `autoShutdown.timeZone`: a Windows id (what Azure's auto-shutdown schedule takes)
 * or an IANA name (what AWS EventBridge Scheduler takes), each resolved to the other through the
 * full CLDR windowsZones mapping that the `windows-iana` package carries (139 Windows ids).
 */
import { findIana, findWindows, WINDOWS_TO_IANA_MAP } from "windows-iana";

export interface ResolvedTimeZone {
  windows: string;
  iana: string;
}

const WINDOWS_IDS = new Set(WINDOWS_TO_IANA_MAP.map((z) => z.windowsName as string));

/** ICU's canonical id of an IANA name Node's tz database knows (Europe/Kyiv -> Europe/Kiev), or undefined. */
function icuZone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * Either form, exactly as written (case matters, as it does for both clouds); undefined when
 * unknown. A Windows id maps to CLDR's primary zone (territory 001), an IANA name to its Windows id.
 */
export function resolveTimeZone(name: string): ResolvedTimeZone | undefined {
  if (WINDOWS_IDS.has(name)) {
    const iana = findIana(name as never, "001")[0] as string | undefined;
    return iana ? { windows: name, iana } : undefined;
  }
  const icu = icuZone(name);
  if (icu === undefined) return undefined;
  // CLDR's table may list a zone under its older name only (Europe/Kiev for Europe/Kyiv).
  const windows = (findWindows(name as never)[0] ?? findWindows(icu as never)[0]) as string | undefined;
  return windows ? { windows, iana: name } : undefined;
}

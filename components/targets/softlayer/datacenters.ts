/**
 * What the config knows about IBM Cloud classic (SoftLayer): datacenter names and the data disk.
 * Flavors are the size catalog (./sizes/softlayer.ts).
 */
import { q } from "../../config/grammar";
import { closestNames } from "../../config/sizes";

/**
 * Classic datacenter short names, as `SoftLayer_Location::getDatacenters` and createObject's
 * `datacenter.name` spell them. The list is for catching typos: it holds every name IBM has used for
 * a classic datacenter, including some closed since (dal05-dal09, hou02, mel01, sea01, ...); the API
 * refuses a closed one when the guest is ordered, and that error names workbench.datacenter.
 */
export const SOFTLAYER_DATACENTERS: readonly string[] = [
  "ams01",
  "ams03",
  "che01",
  "dal05",
  "dal06",
  "dal07",
  "dal09",
  "dal10",
  "dal12",
  "dal13",
  "fra02",
  "fra04",
  "fra05",
  "hkg02",
  "hou02",
  "lon02",
  "lon04",
  "lon05",
  "lon06",
  "mel01",
  "mex01",
  "mil01",
  "mon01",
  "osa21",
  "osa22",
  "osa23",
  "osl01",
  "par01",
  "sao01",
  "sea01",
  "seo01",
  "sjc01",
  "sjc03",
  "sjc04",
  "sng01",
  "syd01",
  "syd04",
  "syd05",
  "tok02",
  "tok04",
  "tok05",
  "tor01",
  "wdc01",
  "wdc04",
  "wdc06",
  "wdc07",
];

/**
 * Default size of the portable storage volume behind /data, GB. Portable storage comes in fixed
 * capacities (the live package's items decide; the guest's provider names them when a size is not
 * offered), so the other clouds' 256 GB default would not fit.
 */
export const SOFTLAYER_DEFAULT_DATA_DISK_GB = 250;

/** Problem with a datacenter name, or undefined when it is a known one. */
export function softLayerDatacenterProblem(name: string): string | undefined {
  if (SOFTLAYER_DATACENTERS.includes(name)) return undefined;
  if (!/^[a-z]{3}\d{2}$/.test(name)) {
    return `${q(name)} is not a classic datacenter name; use the short lowercase name, e.g. dal10 (closest: ${closestNames(SOFTLAYER_DATACENTERS, name).join(", ")})`;
  }
  return `${q(name)} is not a classic datacenter this version knows; closest: ${closestNames(SOFTLAYER_DATACENTERS, name).join(", ")}`;
}

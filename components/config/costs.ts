/**
 * What keeps billing while a workbench is stopped: its disks and its static public IP. Each cloud
 * target prices its own disks (components/targets/<name>/costs.ts); the month estimate
 * (usage.ts) reads them through the target's rules. Planning figures, not a quote.
 */

/** One line of the month that bills whether the machine runs or not. */
export interface FixedCost {
  label: string;
  /** USD per month. */
  monthly: number;
}

/** A public IPv4 address, Azure Standard static or an AWS Elastic IP: USD 0.005 an hour, attached or not. */
export const PUBLIC_IPV4_MONTHLY = 3.65;

/** The static public IP's line of the month. */
export function publicIpCost(): FixedCost {
  return { label: "public IPv4 address", monthly: PUBLIC_IPV4_MONTHLY };
}

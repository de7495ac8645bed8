/** What an AWS workbench bills while stopped: gp3 volumes and the Elastic IP. */
import { FixedCost, publicIpCost } from "../../config/costs";

/** EBS gp3 (3000 IOPS and 125 MB/s included, which is what the workbench provisions), USD per GB-month. */
const AWS_GP3_PER_GB_MONTH = 0.08;

export const AWS_STOPPED_COST_SOURCE = {
  priceDate: "2026-11-25",
  source: "EBS gp3 USD 0.08/GB-month and public IPv4 USD 0.005/h (AWS list prices, us-east-1; not read from AWS here)",
  region: "us-east-1",
};

function awsDisk(label: string, gb: number): FixedCost {
  return { label: `${label} ${gb} GB (gp3)`, monthly: Math.round(gb * AWS_GP3_PER_GB_MONTH * 100) / 100 };
}

/** The OS volume, the data volume and the Elastic IP of an AWS workbench, by the month. */
export function awsStoppedCosts(osDiskGb: number, dataDiskGb: number): FixedCost[] {
  return [awsDisk("OS disk", osDiskGb), awsDisk("data disk", dataDiskGb), publicIpCost()];
}

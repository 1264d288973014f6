/**
 * What AWS offers per region, from src/config/aws-data/offerings.json (written by `npm run
 * aws-data` from cfn-lint's data; the file names its version and date).
 */
import offerings from "./aws-data/offerings.json";

type ByRegion = Readonly<Record<string, readonly string[]>>;

export const OFFERINGS_SOURCE = `${offerings.source}, data of ${offerings.dataDate.slice(0, 10)}`;
const postgresClasses: ByRegion = offerings.postgresInstanceClasses;
const cacheNodeTypes: ByRegion = offerings.cacheNodeTypes;
const hostTypes: ByRegion = offerings.hostInstanceTypes;
const postgresVersions: readonly string[] = offerings.postgresEngineVersions;

const offered = (table: ByRegion, region: string, value: string) => Object.hasOwn(table, region) && table[region].includes(value);

export const offersPostgresClass = (region: string, instanceClass: string) => offered(postgresClasses, region, instanceClass);
export const offersCacheNodeType = (region: string, nodeType: string) => offered(cacheNodeTypes, region, nodeType);
export const offersHostType = (region: string, instanceType: string) => offered(hostTypes, region, instanceType);
const regions: Readonly<Record<string, readonly string[]>> = offerings.regions;

/** Why an ARN cannot be used by an environment in the aws partition, or undefined when it can. */
export function arnProblem(arn: string): string | undefined {
  const [, partition, , region] = arn.split(":");
  if (partition !== "aws") return `"${arn}" is in the ${partition} partition; the supported regions are all in aws`;
  if (!regions.aws.includes(region)) return `"${arn}" names the region ${region}, which AWS does not have`;
  return undefined;
}

/** A major version ("16") or a release RDS lists ("16.4"). */
export const isPostgresVersion = (version: string) => postgresVersions.includes(version);

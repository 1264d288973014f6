/**
 * Regions this app may deploy to, with the availability-zone letters every account sees there.
 * AZ names map to different physical zones per account, but these letters exist in each one.
 * Regions whose zones vary by account (us-west-1) are left out on purpose.
 */
export const REGION_ZONES: Readonly<Record<string, readonly string[]>> = {
  "us-east-1": ["a", "b", "c", "d", "e", "f"],
  "us-east-2": ["a", "b", "c"],
  "us-west-2": ["a", "b", "c", "d"],
  "ca-central-1": ["a", "b", "d"],
  "eu-west-1": ["a", "b", "c"],
  "eu-west-2": ["a", "b", "c"],
  "eu-west-3": ["a", "b", "c"],
  "eu-central-1": ["a", "b", "c"],
  "eu-north-1": ["a", "b", "c"],
  "ap-south-1": ["a", "b", "c"],
  "ap-southeast-1": ["a", "b", "c"],
  "ap-southeast-2": ["a", "b", "c"],
  "ap-northeast-1": ["a", "c", "d"],
  "sa-east-1": ["a", "b", "c"],
};

export const REGIONS = Object.keys(REGION_ZONES);

export function availabilityZones(region: string, count: number): string[] {
  return (REGION_ZONES[region] ?? []).slice(0, count).map((letter) => `${region}${letter}`);
}

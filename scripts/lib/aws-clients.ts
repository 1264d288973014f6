/** Settings for AWS SDK clients of the environment's region: the emulator's when LOCAL_AWS_ENDPOINT is set. */
export function clientConfig(region: string) {
  const endpoint = process.env.LOCAL_AWS_ENDPOINT;
  return endpoint ? { region, endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" } } : { region };
}

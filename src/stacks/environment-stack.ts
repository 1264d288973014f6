import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../config/environment";
import type { AppSettings } from "../config/settings";
import { Network } from "../constructs/network";
import { addAwsProvider, addStateBackend } from "./aws-context";

/** One environment's infrastructure; the stack is named after the environment. */
export class EnvironmentStack extends TerraformStack {
  readonly network: Network;

  constructor(scope: Construct, env: EnvironmentConfig, settings: AppSettings) {
    super(scope, env.name);
    addAwsProvider(this, { region: env.region, tags: { ...env.tags }, localAwsEndpoint: settings.localAwsEndpoint });
    addStateBackend(this, settings.state, `${env.name}/terraform.tfstate`, settings.localAwsEndpoint);

    this.network = new Network(this, "network", {
      namePrefix: env.namePrefix,
      region: env.region,
      vpcCidr: env.network.vpcCidr,
      subnets: env.network.subnets,
      natStrategy: env.network.natStrategy,
      flowLogs: env.network.flowLogs.enabled ? { retentionDays: env.network.flowLogs.retentionDays } : false,
    });

    new TerraformOutput(this, "vpc_id", { value: this.network.vpcId });
    new TerraformOutput(this, "public_subnet_ids", { value: this.network.publicSubnetIds });
    new TerraformOutput(this, "private_subnet_ids", { value: this.network.privateSubnetIds });
    new TerraformOutput(this, "isolated_subnet_ids", { value: this.network.isolatedSubnetIds });
  }
}

import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { renderNatCloudInit } from "../host/nat";
import { suppressPolicyCheck } from "../policy-suppressions";
import { policyDocument } from "./iam-policy";
import { RUNNING_HOURS_TAG } from "../config/office-hours";
import type { MonitoringInventory } from "./monitoring-inventory";

/** Graviton: the cheapest instance that forwards a small environment's egress. */
export const NAT_INSTANCE_TYPE = "t4g.nano";

export interface NatInstanceProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly vpcId: string;
  readonly vpcCidr: string;
  /** A public subnet. */
  readonly subnetId: string;
  /** The internet gateway and public routes: the instance installs packages at first boot, and an EIP needs the gateway. */
  readonly internetReady: readonly ITerraformDependable[];
  /** Its status-check alarms (recover, reboot) come from here. @default not watched */
  readonly inventory?: MonitoringInventory;
  /** When office hours run it (`RunningHours` tag); a schedule stops and starts it. @default always */
  readonly runningHours?: string;
}

/**
 * A NAT instance for the private subnets (`natStrategy: "instance"`): one t4g.nano on Amazon Linux
 * 2023 in a public subnet with an Elastic IP, source/destination check off, forwarding and
 * masquerading what the VPC sends (its user data), IMDSv2 only, Session Manager and no SSH.
 * It heals itself through the alarm pack's status-check alarms: a failed system check recovers it
 * onto other hardware (same instance, address and network interface, so the routes stay), a
 * failed instance check reboots it; both notify the alarm topic.
 */
export class NatInstance extends Construct {
  /** What the private route tables send 0.0.0.0/0 to. */
  readonly networkInterfaceId: string;
  readonly instanceId: string;
  readonly instanceArn: string;

  constructor(scope: Construct, id: string, props: NatInstanceProps) {
    super(scope, id);
    const name = `${props.namePrefix}-nat`;
    const role = new IamRole(this, "role", {
      namePrefix: `${name}-`,
      lifecycle: { createBeforeDestroy: true },
      assumeRolePolicy: policyDocument([
        { Sid: "Ec2AssumesTheInstanceRole", Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
      ]),
    });
    new IamRolePolicyAttachment(this, "session-manager", {
      role: role.name,
      policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    });
    const profile = new IamInstanceProfile(this, "profile", { name, role: role.name });

    const securityGroup = new SecurityGroup(this, "sg", {
      name,
      description: "NAT instance: forwards what the VPC sends",
      vpcId: props.vpcId,
      tags: { Name: name },
    });
    new VpcSecurityGroupIngressRule(this, "ingress-vpc", {
      securityGroupId: securityGroup.id,
      description: "everything the VPC subnets send out through the NAT",
      cidrIpv4: props.vpcCidr,
      ipProtocol: "-1",
    });
    new VpcSecurityGroupEgressRule(this, "egress-all", {
      securityGroupId: securityGroup.id,
      description: "the forwarded traffic, to wherever the services send it",
      cidrIpv4: "0.0.0.0/0",
      ipProtocol: "-1",
    });

    const ami = new DataAwsSsmParameter(this, "ami", { name: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64" });
    const instance = new Instance(this, "instance", {
      ami: ami.insecureValue,
      instanceType: NAT_INSTANCE_TYPE,
      subnetId: props.subnetId,
      vpcSecurityGroupIds: [securityGroup.id],
      iamInstanceProfile: profile.name,
      sourceDestCheck: false,
      // Reaches the package repositories at once; the Elastic IP then replaces this address.
      associatePublicIpAddress: true,
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
      rootBlockDevice: { volumeType: "gp3", volumeSize: 8, encrypted: true, deleteOnTermination: true },
      ebsOptimized: true,
      userData: renderNatCloudInit(props.vpcCidr),
      userDataReplaceOnChange: true,
      tags: { Name: name, ...(props.runningHours ? { [RUNNING_HOURS_TAG]: props.runningHours } : {}) },
      // A newer AMI must not replace the NAT (and cut egress) on an unrelated apply.
      lifecycle: { ignoreChanges: ["ami"] },
      dependsOn: [...props.internetReady],
    });
    suppressPolicyCheck(instance, "CKV_AWS_88", "a NAT instance sends the VPC's traffic out through its own public address");
    suppressPolicyCheck(instance, "CKV_AWS_126", "one-minute metrics are charged; the status checks it heals on are one-minute already");
    this.networkInterfaceId = instance.primaryNetworkInterfaceId;
    this.instanceId = instance.id;
    this.instanceArn = instance.arn;
    new Eip(this, "eip", { domain: "vpc", instance: instance.id, tags: { Name: name }, dependsOn: [...props.internetReady] });

    props.inventory?.register({ kind: "natInstance", name, instanceId: instance.id, region: props.region });
  }
}

import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";
import { policyDocument } from "./iam-policy";

export interface AlarmTopicProps {
  readonly topicName: string;
  readonly region: string;
  readonly accountId: string;
  /** A key whose policy lets CloudWatch generate data keys and decrypt. */
  readonly kmsKeyArn: string;
  /** @default none */
  readonly emails?: readonly string[];
  /** @default none */
  readonly httpsEndpoints?: readonly string[];
  /**
   * EventBridge rules of this account that may publish (release failures).
   * @default none
   */
  readonly eventRuleNames?: readonly string[];
  /**
   * This account's AWS Budgets may publish (budget notifications).
   * @default false
   */
  readonly budgets?: boolean;
  /** Another region's provider (the edge's alarms in us-east-1). @default the stack's provider */
  readonly provider?: AwsProvider;
}

/**
 * The SNS topic every alarm notifies: KMS-encrypted, publishable by this account's CloudWatch
 * alarms, the EventBridge rules it names and (when asked) its budgets, and by nothing else, over TLS only, with e-mail and
 * HTTPS subscriptions.
 */
export class AlarmTopic extends Construct {
  readonly topicArn: string;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const provider = props.provider ? { provider: props.provider } : {};
    const topic = new SnsTopic(this, "topic", { ...provider, name: props.topicName, kmsMasterKeyId: props.kmsKeyArn });
    this.topicArn = topic.arn;
    new SnsTopicPolicy(this, "policy", {
      ...provider,
      arn: topic.arn,
      policy: policyDocument([
        {
          Sid: "CloudWatchAlarmsOfThisAccount",
          Effect: "Allow",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: "sns:Publish",
          Resource: topic.arn,
          Condition: {
            StringEquals: { "aws:SourceAccount": props.accountId },
            ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:${props.region}:${props.accountId}:alarm:*` },
          },
        },
        ...(props.eventRuleNames?.length
          ? [
              {
                Sid: "EventRulesOfThisAccount",
                Effect: "Allow" as const,
                Principal: { Service: "events.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topic.arn,
                Condition: {
                  StringEquals: { "aws:SourceAccount": props.accountId },
                  ArnLike: {
                    "aws:SourceArn": props.eventRuleNames.map((name) => `arn:aws:events:${props.region}:${props.accountId}:rule/${name}`),
                  },
                },
              },
            ]
          : []),
        ...(props.budgets
          ? [
              {
                Sid: "BudgetsOfThisAccount",
                Effect: "Allow" as const,
                Principal: { Service: "budgets.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topic.arn,
                Condition: {
                  StringEquals: { "aws:SourceAccount": props.accountId },
                  ArnLike: { "aws:SourceArn": `arn:aws:budgets::${props.accountId}:*` },
                },
              },
            ]
          : []),
        {
          Sid: "TlsOnly",
          Effect: "Deny",
          Principal: "*",
          Action: "sns:Publish",
          Resource: topic.arn,
          Condition: { Bool: { "aws:SecureTransport": false } },
        },
      ]),
    });
    const subscribe = (protocol: string, endpoints: readonly string[]) =>
      endpoints.forEach(
        (endpoint, i) => new SnsTopicSubscription(this, `${protocol}-${i + 1}`, { ...provider, topicArn: topic.arn, protocol, endpoint }),
      );
    subscribe("email", props.emails ?? []);
    subscribe("https", props.httpsEndpoints ?? []);
  }
}

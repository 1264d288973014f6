import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { Construct } from "constructs";

export interface EventNotificationProps {
  /** Rule name, unique per account and region; the alarm topic's policy admits it by name. */
  readonly ruleName: string;
  readonly description: string;
  /** An EventBridge event pattern. */
  readonly eventPattern: Record<string, unknown>;
  readonly topicArn: string;
  /** JSON paths into the event, by the names `message` uses in angle brackets. */
  readonly inputPaths: Record<string, string>;
  /** The notification's text, e.g. `Policy <policy> failed: <cause>.` */
  readonly message: string;
}

/** Publishes the events matching a pattern to the alarm topic, as one readable sentence each. */
export class EventNotification extends Construct {
  constructor(scope: Construct, id: string, props: EventNotificationProps) {
    super(scope, id);
    const rule = new CloudwatchEventRule(this, "rule", {
      name: props.ruleName,
      description: props.description,
      eventPattern: JSON.stringify(props.eventPattern),
    });
    new CloudwatchEventTarget(this, "target", {
      rule: rule.name,
      targetId: "alarm-topic",
      arn: props.topicArn,
      inputTransformer: { inputPaths: props.inputPaths, inputTemplate: JSON.stringify(props.message) },
    });
  }
}

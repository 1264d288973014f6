import { BudgetsBudget } from "@cdktf/provider-aws/lib/budgets-budget";
import { Construct } from "constructs";

export interface CostBudgetProps {
  /** Unique in the account; replaced when it changes. */
  readonly name: string;
  readonly limitUsd: number;
  /** Costs count when their resources carry this tag (a cost allocation tag, activated once per account). */
  readonly tag: { readonly key: string; readonly value: string };
  /** Notified (its policy and key must admit budgets.amazonaws.com). */
  readonly topicArn: string;
  /** Percent of the limit: actual costs at or above it notify. */
  readonly actualPercent: number;
  /** Percent of the limit: costs forecast for the month above it notify. */
  readonly forecastPercent: number;
}

/** A monthly AWS Budgets cost budget of the costs tagged for one environment, notifying its alarm topic. */
export class CostBudget extends Construct {
  constructor(scope: Construct, id: string, props: CostBudgetProps) {
    super(scope, id);
    const notify = (type: "ACTUAL" | "FORECASTED", threshold: number) => ({
      notificationType: type,
      comparisonOperator: "GREATER_THAN",
      threshold,
      thresholdType: "PERCENTAGE",
      subscriberSnsTopicArns: [props.topicArn],
    });
    new BudgetsBudget(this, "budget", {
      name: props.name,
      budgetType: "COST",
      timeUnit: "MONTHLY",
      limitAmount: props.limitUsd.toFixed(2),
      limitUnit: "USD",
      costFilter: [{ name: "TagKeyValue", values: [`user:${props.tag.key}$${props.tag.value}`] }],
      notification: [notify("ACTUAL", props.actualPercent), notify("FORECASTED", props.forecastPercent)],
    });
  }
}

import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { Construct } from "constructs";
import type { AlarmSpec, MetricRef } from "./alarm-pack";
import type { MonitoringInventory } from "./monitoring-inventory";

/** Widgets this app puts on one dashboard before starting the next. */
export const MAX_WIDGETS = 100;
/** CloudWatch's limit on the alarms one alarm-status widget lists. */
const MAX_ALARMS_PER_WIDGET = 100;
const WIDTH = 24;

export interface OperationsDashboardProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly inventory: MonitoringInventory;
  /** The alarms, whose metrics are graphed row by row, component by component. */
  readonly alarms: readonly AlarmSpec[];
  readonly alarmArns: readonly string[];
}

interface Widget {
  type: "text" | "metric" | "alarm" | "log";
  width: number;
  height: number;
  properties: Record<string, unknown>;
}

/** A graph metric in the dashboard body's array form: namespace, name, dimension pairs, options. */
function metricRow(m: MetricRef, options: Record<string, unknown>): unknown[] {
  return [m.namespace, m.name, ...Object.entries(m.dimensions).flat(), { stat: m.stat, ...options }];
}

/** A graph of one alarm's metrics (or its expression) with the threshold drawn on it. */
function alarmGraph(spec: AlarmSpec, region: string): Widget {
  const metrics = spec.metric
    ? [metricRow(spec.metric, { period: spec.periodSeconds })]
    : [
        [{ expression: spec.expression!.expression, label: spec.expression!.label, id: "result" }],
        ...Object.entries(spec.expression!.metrics).map(([id, m]) => metricRow(m, { id, visible: false, period: spec.periodSeconds })),
      ];
  return {
    type: "metric",
    width: 8,
    height: 6,
    properties: {
      title: spec.id,
      region: spec.region ?? region,
      view: "timeSeries",
      metrics,
      annotations: { horizontal: [{ value: spec.threshold, label: "alarm threshold" }] },
    },
  };
}

/**
 * The environment's CloudWatch dashboard: a header with links, the alarms' status, one row per
 * component graphing the same metrics its alarms watch, and a Logs Insights widget of the ERROR
 * lines of each service. Beyond MAX_WIDGETS widgets it continues on `<name>-2`, `-3`, ….
 */
export class OperationsDashboard extends Construct {
  readonly dashboardNames: readonly string[];

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const { namePrefix, region } = props;
    const console = `https://${region}.console.aws.amazon.com`;
    const services = props.inventory.of("service");
    const links = [
      services.length ? `[ECS cluster](${console}/ecs/v2/clusters/${services[0].clusterName}/services?region=${region})` : "",
      props.inventory.of("database").length ? `[RDS](${console}/rds/home?region=${region}#databases:)` : "",
      props.inventory.of("cache").length ? `[ElastiCache](${console}/elasticache/home?region=${region}#/redis)` : "",
      ...props.inventory
        .of("host")
        .map((host) => `[${host.name}](${console}/ec2/home?region=${region}#InstanceDetails:instanceId=${host.instanceId})`),
      `[Alarms](${console}/cloudwatch/home?region=${region}#alarmsV2:?search=${namePrefix}-)`,
    ].filter(Boolean);
    const widgets: Widget[] = [
      { type: "text", width: WIDTH, height: 2, properties: { markdown: `# ${namePrefix}\n${links.join(" · ")}` } },
    ];
    for (let i = 0; i < props.alarmArns.length; i += MAX_ALARMS_PER_WIDGET) {
      widgets.push({
        type: "alarm",
        width: WIDTH,
        height: 4,
        properties: { title: "Alarms", alarms: props.alarmArns.slice(i, i + MAX_ALARMS_PER_WIDGET), sortBy: "stateUpdatedTimestamp" },
      });
    }
    const components = [...new Set(props.alarms.map((a) => a.component))];
    for (const component of components) {
      widgets.push({ type: "text", width: WIDTH, height: 1, properties: { markdown: `## ${component}` } });
      widgets.push(...props.alarms.filter((a) => a.component === component).map((spec) => alarmGraph(spec, region)));
    }
    for (const svc of [...services, ...props.inventory.of("container")]) {
      widgets.push({
        type: "log",
        width: WIDTH,
        height: 6,
        properties: {
          title: `${svc.name}: latest ERROR lines`,
          region,
          view: "table",
          query: `SOURCE '${svc.logGroupName}' | fields @timestamp, @message | filter @message like /ERROR/ | sort @timestamp desc | limit 50`,
        },
      });
    }

    const pages: Widget[][] = [];
    for (let i = 0; i < widgets.length; i += MAX_WIDGETS) pages.push(widgets.slice(i, i + MAX_WIDGETS));
    this.dashboardNames = pages.map((page, i) => {
      const name = i === 0 ? namePrefix : `${namePrefix}-${i + 1}`;
      new CloudwatchDashboard(this, `page-${i + 1}`, { dashboardName: name, dashboardBody: JSON.stringify({ widgets: layout(page) }) });
      return name;
    });
  }
}

/** Places widgets left to right, top to bottom, on CloudWatch's 24-column grid. */
function layout(widgets: Widget[]): (Widget & { x: number; y: number })[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return widgets.map((widget) => {
    if (x + widget.width > WIDTH) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const placed = { ...widget, x, y };
    x += widget.width;
    rowHeight = Math.max(rowHeight, widget.height);
    return placed;
  });
}

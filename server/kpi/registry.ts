// The KPI registry (DESIGN.md): every KPI the engine computes, in scorecard order.
import type { KpiDefinition } from './definition.js';
import { changeFailureRate, deploymentFrequency, reworkRate } from './queries/deployments.js';
import { failedDeploymentRecoveryTime, timeToRestore, timeToRestoreSev12 } from './queries/incidents.js';
import { buildSuccessRate } from './queries/build-success-rate.js';
import { escapedDefects } from './queries/escaped-defects.js';
import { leadTimeForChanges } from './queries/lead-time.js';
import { prCycleTime } from './queries/pr-cycle-time.js';
import { incidentCount, incidentRecurrenceRate, onCallPages, timeToAcknowledge } from './queries/reliability.js';
import type { KpiKey } from './keys.js';

export const KPIS: readonly KpiDefinition[] = [
  deploymentFrequency,
  leadTimeForChanges,
  changeFailureRate,
  timeToRestore,
  failedDeploymentRecoveryTime,
  reworkRate,
  timeToRestoreSev12,
  timeToAcknowledge,
  incidentRecurrenceRate,
  onCallPages,
  incidentCount,
  escapedDefects,
  prCycleTime,
  buildSuccessRate,
];

const byKey = new Map(KPIS.map((kpi) => [kpi.key, kpi]));

export function kpiDefinition(key: string): KpiDefinition | undefined {
  return byKey.get(key as KpiKey);
}

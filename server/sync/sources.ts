// The connectors this service can run, built from the environment (credentials) and
// bellwether.yaml (what to read, how to map it). Each entry says why it cannot run, if it cannot.
import type { Connector, JsonValue } from '../../connectors/contract.js';
import { opsgenieConnector } from '../../connectors/opsgenie/index.js';
import { pagerDutyConnector } from '../../connectors/pagerduty/index.js';
import type { Config } from '../config.js';

export const SYNC_SOURCES = ['pagerduty', 'opsgenie'] as const;
export type SyncSource = (typeof SYNC_SOURCES)[number];

export type Runnable =
  | { ready: true; connector: Connector<JsonValue, unknown>; settings: unknown }
  | { ready: false; reason: string };

export function syncSource(name: SyncSource, config: Config): Runnable {
  switch (name) {
    case 'pagerduty': {
      const { token, apiUrl } = config.env.pagerduty;
      if (!token) return { ready: false, reason: 'set PAGERDUTY_TOKEN (a read-only REST API key)' };
      if (!config.org.pagerduty) return { ready: false, reason: 'add a pagerduty: section to bellwether.yaml (which PagerDuty services are which Bellwether services)' };
      const connector = pagerDutyConnector({ token, config: config.org.pagerduty, ...(apiUrl ? { baseUrl: apiUrl } : {}) });
      return { ready: true, connector: connector as unknown as Connector<JsonValue, unknown>, settings: config.org.pagerduty };
    }
    case 'opsgenie': {
      const { token, apiUrl } = config.env.opsgenie;
      if (!token) return { ready: false, reason: 'set OPSGENIE_API_KEY (an API integration key with read access)' };
      if (!config.org.opsgenie?.incidents) return { ready: false, reason: 'add opsgenie.incidents.services to bellwether.yaml (which Opsgenie services are which Bellwether services)' };
      const connector = opsgenieConnector({ apiKey: token, config: config.org.opsgenie, ...(apiUrl ? { apiUrl } : {}) });
      return { ready: true, connector: connector as unknown as Connector<JsonValue, unknown>, settings: config.org.opsgenie };
    }
  }
}

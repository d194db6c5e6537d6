// The connectors this service can run, built from the environment (credentials) and
// bellwether.yaml (what to read, how to map it). Each entry says why it cannot run, if it cannot.
import type { Connector, JsonValue } from '../../connectors/contract.js';
import { gitHubConnector, parseStreamKey } from '../../connectors/github/index.js';
import { opsgenieConnector } from '../../connectors/opsgenie/index.js';
import { pagerDutyConnector } from '../../connectors/pagerduty/index.js';
import type { Config } from '../config.js';

export const SYNC_SOURCES = ['github', 'pagerduty', 'opsgenie'] as const;
export type SyncSource = (typeof SYNC_SOURCES)[number];

export type Runnable =
  | { ready: true; connector: Connector<JsonValue, unknown>; settings: unknown }
  | { ready: false; reason: string };

export function syncSource(name: SyncSource, config: Config): Runnable {
  switch (name) {
    case 'github': {
      const { token, apiUrl, app } = config.env.github;
      if (!token && !app) return { ready: false, reason: 'set GITHUB_TOKEN (a token that can read the repositories) or the GITHUB_APP_* variables of an installed GitHub App' };
      const settings = config.org.github ?? {};
      const services = config.org.services;
      if (!services.some((service) => service.repositories.length)) {
        return { ready: false, reason: 'list repositories (or patterns such as northwind/*, with github.organizations) under the services of bellwether.yaml' };
      }
      const auth = app ? { appId: app.appId, privateKey: app.privateKey, installationId: app.installationId } : { token: token! };
      const connector = gitHubConnector({ auth, config: settings, services, ...(apiUrl ? { baseUrl: apiUrl } : {}) });
      return { ready: true, connector: connector as unknown as Connector<JsonValue, unknown>, settings };
    }
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

/**
 * The connector reading only one repository's streams (`bellwether sync github --repo owner/name`),
 * and the organisation listings that make a repository found in an organisation known.
 */
export function onlyRepository(connector: Connector<JsonValue, unknown>, repository: string): Connector<JsonValue, unknown> {
  const wanted = repository.toLowerCase();
  return {
    ...connector,
    streams: (settings) => connector.streams(settings).filter((stream) => stream.stream.toLowerCase().startsWith(`${wanted}:`) || parseStreamKey(stream)?.kind === 'repositories'),
  };
}

// The incident tools whose webhooks the service accepts: each source's signature check and
// translation (connectors/<source>/) bound to its secrets and its bellwether.yaml section.
// Without a secret a source's endpoint answers 404 (routes/webhooks.ts): an unsigned webhook
// would let anyone write incidents.
import { createHash } from 'node:crypto';
import { resolveGitHubConfig } from '../../connectors/github/config.js';
import { GITHUB_DELIVERY_HEADER, GITHUB_EVENT_HEADER, GITHUB_SIGNATURE_HEADER, translateGitHubWebhook, verifyGitHubSignature } from '../../connectors/github/webhook.js';
import { mapAlertWebhook, OPSGENIE_SECRET_HEADER, verifyOpsgenieSecret } from '../../connectors/opsgenie/index.js';
import { translateWebhookV3, verifyPagerDutySignature } from '../../connectors/pagerduty/index.js';
import type { Connector, JsonValue, Logger } from '../../connectors/contract.js';
import { runSync } from '../sync/run-sync.js';
import { syncSource } from '../sync/sources.js';
import type { AppDeps } from './context.js';
import type { WebhookSource } from './routes/webhooks.js';

export function webhookSources(deps: AppDeps, log: Logger): WebhookSource[] {
  const { config } = deps;
  // Without a section nothing maps to a service: deliveries are verified, recorded and ignored.
  const pagerduty = config.org.pagerduty ?? { services: {} };
  const opsgenie = config.org.opsgenie ?? {};
  // Validated at start (config.ts), so the rules resolve without problems.
  const github = resolveGitHubConfig(config.org.github ?? {}, config.org.services).resolved;
  const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
  return [
    {
      name: 'github',
      secretVariable: 'GITHUB_WEBHOOK_SECRET',
      secrets: config.env.github.webhookSecrets,
      credential: 'X-Hub-Signature-256',
      verify: (raw, headers, secrets) => verifyGitHubSignature(raw, headers[GITHUB_SIGNATURE_HEADER], secrets),
      translate: (body, raw, headers) => {
        const eventName = header(headers[GITHUB_EVENT_HEADER]);
        if (!eventName) throw new Error('missing X-GitHub-Event');
        // GitHub always sends a delivery id; without one, the bytes themselves identify a redelivery.
        const deliveryId = header(headers[GITHUB_DELIVERY_HEADER]) ?? `sha256:${createHash('sha256').update(raw).digest('hex')}`;
        const delivery = translateGitHubWebhook(eventName, body, github, deliveryId);
        const refresh = delivery.refresh.map((stream) => stream.stream);
        const reason = delivery.ignored ?? (refresh.length ? `the next sync of ${refresh.join(', ')} reads it whole` : undefined);
        return { deliveryId, eventType: delivery.event, subject: delivery.repository, event: null, records: delivery.records, refresh: delivery.refresh, ...(reason ? { reason } : {}) };
      },
      // A pull request, push or release: poll its streams now (conditional requests: what did not
      // change costs a free 304). Without credentials the scheduled sync never runs either; nothing to do.
      refresh: async (streams) => {
        const runnable = syncSource('github', config);
        if (!runnable.ready) return;
        const wanted = new Set(streams.map((stream) => stream.stream));
        const connector: Connector<JsonValue, unknown> = { ...runnable.connector, streams: (settings) => runnable.connector.streams(settings).filter((stream) => wanted.has(stream.stream)) };
        return runSync(deps.db, config.org, connector, runnable.settings, { now: deps.clock(), log });
      },
    },
    {
      name: 'pagerduty',
      secretVariable: 'PAGERDUTY_WEBHOOK_SECRET',
      secrets: config.env.pagerduty.webhookSecrets,
      credential: 'X-PagerDuty-Signature',
      verify: (raw, headers, secrets) => verifyPagerDutySignature(raw, headers['x-pagerduty-signature'], secrets),
      translate: (body) => translateWebhookV3(body, pagerduty),
    },
    {
      name: 'opsgenie',
      secretVariable: 'OPSGENIE_WEBHOOK_SECRET',
      secrets: config.env.opsgenie.webhookSecrets,
      credential: `${OPSGENIE_SECRET_HEADER} header`,
      verify: (_raw, headers, secrets) => verifyOpsgenieSecret(headers[OPSGENIE_SECRET_HEADER], secrets),
      translate: (_body, raw) => mapAlertWebhook(raw, opsgenie, new Date()),
    },
  ];
}

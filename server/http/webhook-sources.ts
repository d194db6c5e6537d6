// The incident tools whose webhooks the service accepts: each source's signature check and
// translation (connectors/<source>/) bound to its secrets and its bellwether.yaml section.
// Without a secret a source's endpoint answers 404 (routes/webhooks.ts): an unsigned webhook
// would let anyone write incidents.
import { mapAlertWebhook, OPSGENIE_SECRET_HEADER, verifyOpsgenieSecret } from '../../connectors/opsgenie/index.js';
import { translateWebhookV3, verifyPagerDutySignature } from '../../connectors/pagerduty/index.js';
import type { Config } from '../config.js';
import type { WebhookSource } from './routes/webhooks.js';

export function webhookSources(config: Config): WebhookSource[] {
  // Without a section nothing maps to a service: deliveries are verified, recorded and ignored.
  const pagerduty = config.org.pagerduty ?? { services: {} };
  const opsgenie = config.org.opsgenie ?? {};
  return [
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

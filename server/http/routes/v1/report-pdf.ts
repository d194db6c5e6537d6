// GET /api/v1/reports/monthly/{YYYY-MM}.pdf: the monthly report page printed to PDF. The page
// reads the same JSON as GET /reports/monthly/{month}, so the PDF and the page never differ.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { MONTH_PATTERN } from '../../../reports/monthly-report.js';
import { renderReportPdf } from '../../../reports/render-pdf.js';
import type { AppDeps } from '../../context.js';
import { ErrorResponse } from '../../schemas/common.js';

export async function reportPdfRoutes(scope: FastifyInstance, deps: AppDeps, root: FastifyInstance): Promise<void> {
  scope.get('/reports/monthly/:month.pdf', {
    schema: {
      tags: ['reports'],
      summary: "The month's report as a printable PDF (the dashboard's report page, rendered by Chromium)",
      params: Type.Object({ month: Type.String({ pattern: MONTH_PATTERN, description: 'YYYY-MM' }) }),
      querystring: Type.Object({
        version: Type.Optional(Type.Integer({ minimum: 1, description: 'a snapshot version (default: the latest)' })),
        paper: Type.Optional(Type.Union([Type.Literal('A4'), Type.Literal('Letter')], { default: 'A4' })),
      }),
      response: {
        200: { description: 'the report', content: { 'application/pdf': { schema: Type.String({ format: 'binary' }) } } },
        400: ErrorResponse,
        404: ErrorResponse,
        409: ErrorResponse,
        503: ErrorResponse,
      },
    },
  }, async (request, reply) => {
    const { month } = request.params as { month: string };
    const { version, paper } = request.query as { version?: number; paper?: 'A4' | 'Letter' };
    // The JSON first: an unknown month or version answers with its own error, without a browser.
    const json = await root.inject({
      url: `/api/v1/reports/monthly/${month}${version ? `?version=${version}` : ''}`,
      headers: request.headers.authorization ? { authorization: request.headers.authorization } : {},
    });
    if (json.statusCode !== 200) return reply.code(json.statusCode as 400 | 404 | 409).type('application/json').send(json.body);
    const pdf = await renderReportPdf(root, {
      month, chromiumPath: deps.config.env.chromiumPath, apiToken: deps.config.env.apiToken,
      ...(version ? { version } : {}), ...(paper ? { paper } : {}),
    });
    const label = version ? `${month}-v${version}` : month;
    return reply
      .type('application/pdf')
      .header('content-disposition', `inline; filename="bellwether-report-${label}.pdf"`)
      .send(pdf);
  });
}

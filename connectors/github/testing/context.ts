// Test helper: the connectors' shared test SyncContext (connectors/testing/context.ts).
export { testContext, type TestContext } from '../../testing/context.js';

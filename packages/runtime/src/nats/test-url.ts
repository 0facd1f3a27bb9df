/**
 * URL of the NATS server integration tests use: the one at `NATS_URL`, or the private server the
 * integration project's global setup started and exported there. For tests only.
 */
export function testNatsUrl(): string {
  const url = process.env.NATS_URL;
  if (!url) throw new Error("NATS_URL is not set: run integration tests through `npm test` or `vitest run --project integration`");
  return url;
}
